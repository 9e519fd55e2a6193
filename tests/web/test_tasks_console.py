"""The console's tasks and documents library, over HTTP and in Chromium.

Staff give a task to supervisors and follow each one's answer and visit; they publish
documents (known by their content, not their name), see the downloads and withdraw them.
Another center's staff see neither; auditors only read.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from urllib.parse import urlsplit

from test_web_desk import PDF, _error, _field, login

from conftest import PASSWORD
from supervision_core import AssignmentStatus

MONDAY = dt.date(2026, 3, 2)  # the fixture clock's day


def _csrf(client, path: str) -> str:
    return _field(client.get(path).text, "csrf_token")


def _task_form(client, people, **overrides) -> dict[str, object]:
    data: dict[str, object] = {
        "csrf_token": _csrf(client, "/console/tasks"),
        "center": "wushenzhao",
        "kind": "inspection",
        "place": "乌审召镇便民服务中心",
        "service": "不动产登记",
        "instructions": "以办事群众身份咨询流程",
        "starts_on": str(MONDAY),
        "ends_on": str(MONDAY + dt.timedelta(days=7)),
        "supervisor": [str(people["巴特尔"].id)],
    }
    data.update(overrides)
    return data


def test_staff_give_a_task_and_follow_its_progress(web_client, supdesk_ledger, desk_people):
    login(web_client, "town-desk")
    page = web_client.get("/console/tasks")
    assert page.status_code == 200 and "还没有任务" in page.text
    assert "巴特尔" in page.text and "王芳" not in page.text  # galutu's is not pickable
    made = web_client.post("/console/tasks", data=_task_form(web_client, desk_people))
    assert made.status_code == 200 and "/console/tasks/" in str(made.url)
    ((task, parts),) = supdesk_ledger.tasks("wushenzhao")
    assert task.created_by == "user:town-desk" and task.place == "乌审召镇便民服务中心"
    assert [p.supervisor_id for p in parts] == [desk_people["巴特尔"].id]

    bateer = desk_people["巴特尔"].id
    supdesk_ledger.respond_to_task(task.id, bateer, accept=True)
    supdesk_ledger.record_task_visit(
        task.id, bateer, visited_on=MONDAY, found_nothing=True, note="窗口一次性告知"
    )
    shown = web_client.get(f"/console/tasks/{task.id}")
    assert 'data-status="done"' in shown.text and "未发现问题" in shown.text
    assert "窗口一次性告知" in shown.text
    assert any(
        e.action == "view_task" and e.supervisor_id == bateer
        for e in supdesk_ledger.access_log(user="town-desk")
    )
    listing = web_client.get("/console/tasks")
    row = re.search(rf'data-task="{task.id}".*?</tr>', listing.text, re.S)
    assert row and 'data-count="done">1<' in row.group(0)
    assert f'data-task="{task.id}"' not in web_client.get("/console/tasks?open=1").text
    assert AssignmentStatus.DONE.label in listing.text


def test_a_refused_task_says_why_and_keeps_what_was_typed(web_client, desk_people):
    login(web_client, "town-desk")
    form = _task_form(web_client, desk_people, supervisor=[], place="某某大厅")
    refused = web_client.post("/console/tasks", data=form)
    assert refused.status_code == 400 and "至少要交给一名监督员" in _error(refused.text)
    assert 'value="某某大厅"' in refused.text
    other = _task_form(web_client, desk_people, supervisor=[str(desk_people["王芳"].id)])
    refused = web_client.post("/console/tasks", data=other)
    assert refused.status_code == 400 and "不属于" in _error(refused.text)
    bad_date = _task_form(web_client, desk_people, ends_on="下周五")
    refused = web_client.post("/console/tasks", data=bad_date)
    assert refused.status_code == 400 and "年-月-日" in _error(refused.text)
    elsewhere = _task_form(web_client, desk_people, center="galutu")
    assert web_client.post("/console/tasks", data=elsewhere).status_code == 403


def test_other_centers_and_auditors(web_client, supdesk_ledger, desk_people):
    task = supdesk_ledger.create_task(
        "wushenzhao", "experience", "大厅", "社保", "", MONDAY, MONDAY, [desk_people["巴特尔"].id],
        "town-desk",
    )  # fmt: skip
    login(web_client, "galutu-desk")
    assert web_client.get(f"/console/tasks/{task.id}").status_code == 403
    assert web_client.get("/console/tasks?center=wushenzhao").status_code == 403
    assert web_client.get("/console/tasks/99999").status_code == 404
    web_client.post("/logout", data={"csrf_token": _csrf(web_client, "/console/tasks")})
    login(web_client, "auditor")
    page = web_client.get("/console/tasks")
    assert page.status_code == 200 and "布置任务</button>" not in page.text
    form = _task_form(web_client, desk_people)
    assert web_client.post("/console/tasks", data=form).status_code == 403
    web_client.post("/logout", data={"csrf_token": _csrf(web_client, "/console/tasks")})
    login(web_client, "banner-desk")  # the banner center sees every center's
    assert web_client.get(f"/console/tasks/{task.id}").status_code == 200
    assert f'data-task="{task.id}"' in web_client.get("/console/tasks?center=wushenzhao").text


def _docx() -> bytes:
    import docx

    document = docx.Document()
    document.add_paragraph("办事指南")
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def _publish(client, title: str, name: str, content: bytes, kind: str, category: str = "rules"):
    data = {"csrf_token": _csrf(client, "/console/library"), "action": "publish",
            "category": category, "title": title}  # fmt: skip
    return client.post("/console/library", data=data, files={"file": (name, content, kind)})


def test_staff_publish_see_downloads_and_withdraw(web_client, supdesk_ledger, desk_people):
    login(web_client, "town-desk")
    assert "资料库中还没有资料" in web_client.get("/console/library").text
    done = _publish(web_client, "不动产登记办事指南", "指南.docx", _docx(),
                    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                    category="guides")  # fmt: skip
    assert done.status_code == 200 and "资料已发布" in done.text
    (guide,) = supdesk_ledger.documents("wushenzhao")
    assert guide.published_by == "user:town-desk" and guide.filename == "指南.docx"
    # Known by the content: a program named .pdf is refused, the form kept.
    refused = _publish(
        web_client, "伪装的文件", "规定.pdf", b"MZ\x90\x00program", "application/pdf"
    )
    assert refused.status_code == 400 and "只收 PDF" in _error(refused.text)
    assert 'value="伪装的文件"' in refused.text
    empty = web_client.post(
        "/console/library",
        data={"csrf_token": _csrf(web_client, "/console/library"), "action": "publish",
              "category": "rules", "title": "空"},
    )  # fmt: skip
    assert empty.status_code == 400 and "请选择要上传的文件" in _error(empty.text)

    supdesk_ledger.open_document(guide.id, desk_people["巴特尔"].id)
    page = web_client.get("/console/library")
    row = re.search(rf'data-document="{guide.id}".*?</tr>', page.text, re.S)
    assert row and "<td data-downloads>1</td>" in row.group(0)
    got = web_client.get(f"/console/library/{guide.id}")
    assert got.status_code == 200 and got.content == supdesk_ledger.document_content(guide.id)[1]
    assert got.headers["content-disposition"].startswith("attachment;")
    assert "sandbox" in got.headers["content-security-policy"]

    withdrawn = web_client.post(
        "/console/library",
        data={"csrf_token": _csrf(web_client, "/console/library"), "action": "withdraw",
              "id": str(guide.id)},
    )  # fmt: skip
    assert withdrawn.status_code == 200 and "资料已撤回" in withdrawn.text
    assert supdesk_ledger.document(guide.id).withdrawn
    assert supdesk_ledger.documents_for_supervisor(desk_people["巴特尔"].id) == []


def test_the_library_keeps_to_its_centers(web_client, supdesk_ledger, desk_people):
    town = supdesk_ledger.publish_document(
        "wushenzhao", "forms", "登记表", "表.pdf", PDF, None, "town-desk"
    )
    banner = supdesk_ledger.publish_document(
        "banner", "rules", "管理办法", "办法.pdf", PDF, None, "banner-desk"
    )
    login(web_client, "galutu-desk")
    page = web_client.get("/console/library")
    assert "登记表" not in page.text and "管理办法" not in page.text
    assert web_client.get(f"/console/library/{town.id}").status_code == 403
    assert web_client.get("/console/library/99999").status_code == 404
    withdraw = {"csrf_token": _csrf(web_client, "/console/library"), "action": "withdraw",
                "id": str(town.id)}  # fmt: skip
    assert web_client.post("/console/library", data=withdraw).status_code == 403
    assert not supdesk_ledger.document(town.id).withdrawn
    web_client.post("/logout", data={"csrf_token": _csrf(web_client, "/console/library")})
    login(web_client, "banner-desk")
    page = web_client.get("/console/library")
    assert "登记表" in page.text and "管理办法" in page.text
    # The banner's staff withdraw their own documents, not a township's.
    withdraw = {"csrf_token": _csrf(web_client, "/console/library"), "action": "withdraw",
                "id": str(town.id)}  # fmt: skip
    assert web_client.post("/console/library", data=withdraw).status_code == 403
    assert banner.id in {d.id for d in supdesk_ledger.documents("banner")}
    web_client.post("/logout", data={"csrf_token": _csrf(web_client, "/console/library")})
    login(web_client, "auditor")
    page = web_client.get("/console/library")
    assert "登记表" in page.text and "发布</button>" not in page.text
    assert _publish(web_client, "审计", "a.pdf", PDF, "application/pdf").status_code == 403


def test_a_clerk_gives_a_task_and_publishes_a_document_in_chromium(
    live_desk, browser_page, supdesk_ledger, desk_people, screenshot, tmp_path
):
    page = browser_page
    page.goto(f"{live_desk}/console/tasks")
    page.get_by_label("用户名").fill("town-desk")
    page.get_by_label("密码").fill(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(lambda url: urlsplit(url).path == "/console/tasks")
    page.get_by_label("任务类型").select_option("experience")
    page.get_by_label("地点").fill("乌审召镇便民服务中心")
    page.get_by_label("体验事项").fill("社保卡补办")
    page.get_by_label("任务要求").fill("体验从取号到办结的全过程")
    page.get_by_label("开始日期").fill(str(MONDAY))
    page.get_by_label("结束日期").fill(str(MONDAY + dt.timedelta(days=5)))
    page.get_by_label("巴特尔").check()
    page.get_by_role("button", name="布置任务").click()
    page.wait_for_url(re.compile(r"/console/tasks/\d+$"))
    assert page.locator("[data-assignment]").count() == 1
    assert "待答复" in page.locator("[data-assignment]").inner_text()
    screenshot(page, "console-task")

    (tmp_path / "监督员管理办法.pdf").write_bytes(PDF)
    page.goto(f"{live_desk}/console/library")
    page.get_by_label("类别").select_option("rules")
    page.get_by_label("标题").fill("监督员管理办法")
    page.get_by_label("文件").set_input_files(str(tmp_path / "监督员管理办法.pdf"))
    page.get_by_role("button", name="发布", exact=True).click()
    page.wait_for_url(re.compile(r"done=published"))
    assert page.locator("[data-document]").count() == 1
    screenshot(page, "console-library")
    (document,) = supdesk_ledger.documents("wushenzhao")
    assert document.title == "监督员管理办法" and document.media_type == "application/pdf"
