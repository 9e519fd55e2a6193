"""The conversation a supervisor has with the desk through any messenger (Telegram today).

Not a plugin: a messenger channel (``channels.telegram``) turns its updates into
:class:`~channels.messenger.conversation.Inbound` values and sends the
:class:`~channels.messenger.conversation.Outbound` replies; the steps between are here.
"""
