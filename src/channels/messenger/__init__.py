"""The conversation a supervisor has with the desk through any messenger.

Not a plugin: the conversation itself moved into the core's public API
(:mod:`supervision_core.conversation`, imported from ``supervision_core``) so that
messenger plugins (WeChat) can use it too; :mod:`channels.messenger.conversation`
re-exports it for the built-in Telegram channel.
"""
