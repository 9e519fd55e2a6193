"""The built-in column profiles: the layouts of hotline exports and township ledgers."""

from __future__ import annotations

from supervision_core import ColumnProfile

__all__ = ["BUILTIN_PROFILES"]

BUILTIN_PROFILES: tuple[ColumnProfile, ...] = (
    ColumnProfile(
        name="hotline",
        label="热线工单导出（12345 等）",
        columns={
            "record_id": ("工单编号", "工单号", "受理编号", "流水号", "记录编号", "工单ID"),
            "time": ("来电时间", "受理时间", "登记时间", "创建时间", "呼入时间"),
            "caller_number": (
                "来电号码",
                "主叫号码",
                "来电电话",
                "联系电话",
                "手机号码",
                "电话号码",
            ),
            "caller_name": ("来电人", "来电人姓名", "诉求人", "联系人", "反映人"),
            "summary": ("诉求标题", "工单标题", "标题", "诉求摘要", "摘要"),
            "content": ("诉求内容", "来电内容", "工单内容", "详细内容", "内容"),
            "township": ("所属苏木镇", "所属乡镇", "苏木镇", "乡镇", "属地"),
            "venue": ("事发地点", "地点", "办事地点", "场所"),
            "category": ("诉求类型", "问题类型", "类别", "分类"),
        },
    ),
    ColumnProfile(
        name="township-ledger",
        label="苏木镇来电登记表（手工台账）",
        columns={
            "date": ("日期", "来电日期", "登记日期"),
            "clock": ("时间", "来电时刻", "时刻"),
            "time": ("来电时间", "登记时间"),
            "caller_number": ("联系电话", "电话", "来电号码", "手机", "联系方式"),
            "caller_name": ("姓名", "反映人", "来电人", "监督员"),
            "summary": ("反映事项", "事项", "问题摘要"),
            "content": ("反映问题", "问题内容", "反映内容", "问题描述", "具体问题", "内容"),
            "township": ("苏木镇", "镇", "乡镇", "所属苏木镇"),
            "venue": ("办事地点", "地点", "窗口", "场所"),
            "category": ("问题类型", "类型", "类别"),
        },
    ),
)
