"""Every line the bot says on its own, in English and Chinese; answers come from knowledge."""

from __future__ import annotations

from store.language import Lang, detect_lang

LANGS = ("en", "zh")

TEXTS: dict[str, dict[str, str]] = {
    "help": {
        "en": (
            "I help founders choose a real-time audio/video and live-streaming vendor, "
            "with sources for every claim.\n\n"
            "Ask me anything, for example:\n"
            "• What end-to-end latency should a voice chat room target?\n"
            "• How do Agora and ZEGOCLOUD price concurrent viewers?\n"
            "• What should I test under 30% packet loss?\n\n"
            "Commands:\n"
            "/ask QUESTION – ask (in groups, or mention me, or reply to me)\n"
            "/brief TOPIC – a pre-meeting briefing, e.g. /brief ZEGOCLOUD voice room\n"
            "/compare A B – compare vendors, e.g. /compare Agora ZEGOCLOUD\n"
            "/sources – the last answer's sources in full\n"
            "/reset – forget our conversation\n"
            "/meeting 15:30 TOPIC – a briefing 10 minutes before a meeting\n"
            "/meetings – scheduled briefings · /timezone Asia/Shanghai – your time zone\n"
            "/gaps · /stats – for admins: what I could not answer, and usage"
        ),
        "zh": (
            "我帮助创业者选择实时音视频和直播服务商，每个结论都附出处。\n\n"
            "直接提问即可，例如：\n"
            "• 语音聊天室的端到端延迟应该做到多少？\n"
            "• 声网和即构的并发观众怎么计费？\n"
            "• 30% 丢包下应该测试什么？\n\n"
            "命令：\n"
            "/ask 问题 – 提问（群里也可以 @我 或回复我）\n"
            "/brief 主题 – 会前简报，例如 /brief ZEGOCLOUD 语音房\n"
            "/compare A B – 对比服务商，例如 /compare 声网 即构\n"
            "/sources – 上一个回答的完整出处\n"
            "/reset – 清除对话上下文\n"
            "/meeting 15:30 主题 – 会议前 10 分钟发送简报\n"
            "/meetings – 已安排的简报 · /timezone Asia/Shanghai – 设置时区\n"
            "/gaps · /stats – 管理员：未能回答的问题与使用情况"
        ),
    },
    "ask_usage": {
        "en": "Please add your question, for example: "
        "/ask What latency should a voice room target?",
        "zh": "请写上问题，例如：/ask 语音房的延迟应该做到多少？",
    },
    "brief_usage": {
        "en": "Please name a scenario or vendor, for example: /brief ZEGOCLOUD voice room",
        "zh": "请写上场景或服务商，例如：/brief ZEGOCLOUD 语音房",
    },
    "compare_usage": {
        "en": "Please name two or three vendors, for example: /compare Agora ZEGOCLOUD",
        "zh": "请写上两到三个服务商，例如：/compare 声网 即构",
    },
    "too_long": {
        "en": "That question is too long ({length} characters); please keep it under {limit}.",
        "zh": "问题太长了（{length} 个字符），请控制在 {limit} 个字符以内。",
    },
    "rate_limited": {
        "en": "You're asking faster than I can think; please wait {seconds} s and try again.",
        "zh": "提问太快了，请等 {seconds} 秒再试。",
    },
    "store_unavailable": {
        "en": "The knowledge base is unavailable right now, try again in a minute.",
        "zh": "知识库暂时无法访问，请一分钟后再试。",
    },
    "error": {
        "en": "Sorry, something went wrong while answering. Please try again.",
        "zh": "抱歉，回答时出了点问题，请再试一次。",
    },
    "timeout": {
        "en": "That took too long to answer; please try again in a moment.",
        "zh": "回答超时了，请稍后再试。",
    },
    "not_allowed": {
        "en": "Sorry, this bot is private to its team and not available in this chat.",
        "zh": "抱歉，这个机器人仅供团队内部使用，无法在此聊天中使用。",
    },
    "unknown_command": {
        "en": "I don't know that command. Send /help to see what I can do.",
        "zh": "我不认识这个命令。发送 /help 查看用法。",
    },
    "reset": {
        "en": "Done, I've forgotten our conversation.",
        "zh": "好的，已清除对话上下文。",
    },
    "no_sources": {
        "en": "There is no earlier answer with sources in this conversation.",
        "zh": "本对话中还没有带出处的回答。",
    },
    "button_quotes": {"en": "Quotes", "zh": "原文引用"},
    "button_full_briefing": {"en": "Full briefing", "zh": "完整简报"},
    "button_full_comparison": {"en": "Full table", "zh": "完整对比表"},
    "feedback_thanks": {"en": "Thanks for the feedback!", "zh": "感谢反馈！"},
    "answer_gone": {
        "en": "That answer is no longer available.",
        "zh": "这个回答已不可用。",
    },
    "no_attachments": {
        "en": "There is no document for this answer.",
        "zh": "这个回答没有附带文档。",
    },
    "upload_admins_only": {
        "en": "Only the bot's admins can add documents to the knowledge base.",
        "zh": "只有管理员可以向知识库添加文档。",
    },
    "upload_progress": {
        "en": "Adding {filename} to the knowledge base…",
        "zh": "正在把 {filename} 加入知识库……",
    },
    "upload_added": {
        "en": "Added {filename}: {chunks} passages are now searchable.",
        "zh": "已添加 {filename}：新增 {chunks} 个可检索段落。",
    },
    "upload_updated": {
        "en": "Updated {filename}: {chunks} passages are now searchable.",
        "zh": "已更新 {filename}：共 {chunks} 个可检索段落。",
    },
    "upload_unchanged": {
        "en": "{filename} is already in the knowledge base, unchanged.",
        "zh": "{filename} 已在知识库中，内容没有变化。",
    },
    "upload_failed": {
        "en": "Could not add {filename}: {error}",
        "zh": "无法添加 {filename}：{error}",
    },
    "upload_too_big": {
        "en": "{filename} is too large to download through the Bot API (limit 20 MB).",
        "zh": "{filename} 太大，无法通过 Bot API 下载（上限 20 MB）。",
    },
    "console_only_telegram": {
        "en": "Scheduling briefings works in Telegram only.",
        "zh": "定时简报只能在 Telegram 中使用。",
    },
    "meeting_usage": {
        "en": "Please give a time and a topic, for example: /meeting 15:30 ZEGOCLOUD voice room",
        "zh": "请写上时间和主题，例如：/meeting 15:30 ZEGOCLOUD 语音房",
    },
    "meeting_bad_time": {
        "en": "“{value}” is not a time I understand; use 24-hour HH:MM, "
        "for example: /meeting 15:30 ZEGOCLOUD voice room",
        "zh": "无法识别时间“{value}”，请使用 24 小时制 HH:MM，"
        "例如：/meeting 15:30 ZEGOCLOUD 语音房",
    },
    "meeting_scheduled": {
        "en": "Scheduled: a briefing on “{topic}” for your meeting at {time} ({tz}), "
        "posted here at {post_time}.",
        "zh": "已安排：会议时间 {time}（{tz}），将在 {post_time} 在此发送“{topic}”的简报。",
    },
    "meeting_now": {
        "en": "Your meeting at {time} ({tz}) is less than 10 minutes away; "
        "here comes the briefing on “{topic}” now.",
        "zh": "会议 {time}（{tz}）不到 10 分钟就开始了，马上发送“{topic}”的简报。",
    },
    "meeting_header": {
        "en": "Your meeting at {time} ({tz}) starts in about 10 minutes. Briefing on “{topic}”:",
        "zh": "你在 {time}（{tz}）的会议大约 10 分钟后开始。关于“{topic}”的简报：",
    },
    "meetings_none": {
        "en": "No briefings are scheduled in this chat. Add one with /meeting 15:30 TOPIC.",
        "zh": "此聊天中没有已安排的简报。用 /meeting 15:30 主题 添加。",
    },
    "meetings_list": {
        "en": "Scheduled briefings (tap to cancel):",
        "zh": "已安排的简报（点击取消）：",
    },
    "meeting_cancelled": {
        "en": "Cancelled the briefing on “{topic}”.",
        "zh": "已取消“{topic}”的简报。",
    },
    "meeting_not_found": {
        "en": "That briefing is no longer scheduled.",
        "zh": "这个简报已不在计划中。",
    },
    "timezone_set": {
        "en": "Your time zone is now {tz}.",
        "zh": "你的时区已设为 {tz}。",
    },
    "timezone_current": {
        "en": "Your time zone is {tz}. Change it with, for example: /timezone Asia/Shanghai",
        "zh": "你的时区是 {tz}。可以这样修改：/timezone Asia/Shanghai",
    },
    "timezone_invalid": {
        "en": "“{value}” is not a time zone I know; use an IANA name such as "
        "Asia/Shanghai, Europe/Berlin or America/New_York.",
        "zh": "无法识别时区“{value}”，请使用 IANA 名称，"
        "例如 Asia/Shanghai、Europe/Berlin、America/New_York。",
    },
    "media_unreadable": {
        "en": "I can read text only: write your question, or put it in the caption of a photo "
        "(admins can also send documents to add to the knowledge base).",
        "zh": "我只能读取文字：请直接输入问题，或把问题写在图片说明里"
        "（管理员还可以发送文档加入知识库）。",
    },
    "admins_only": {
        "en": "Only the bot's admins can use this command.",
        "zh": "只有机器人的管理员可以使用这个命令。",
    },
    "gaps_none": {
        "en": "No abstained or 👎 questions in the last {days} days.",
        "zh": "最近 {days} 天没有未能回答或被点 👎 的问题。",
    },
    "gaps_title": {
        "en": "What the knowledge base lacks (last {days} days, newest first):",
        "zh": "知识库缺少的内容（最近 {days} 天，最新在前）：",
    },
    "gaps_line": {
        "en": "• {count}× “{question}” ({when}, {chat_types}; {why})",
        "zh": "• {count} 次「{question}」（{when}，{chat_types}；{why}）",
    },
    "gaps_abstained": {"en": "no answer", "zh": "未能回答"},
    "gaps_down": {"en": "👎 {n}", "zh": "👎 {n}"},
    "stats_text": {
        "en": "Last {days} days: {questions} questions, {abstained} without an answer "
        "({rate:.0%}), 👍 {up} / 👎 {down}; answer time median {p50} ms, p95 {p95} ms.\n"
        "Questions per day: {per_day}",
        "zh": "最近 {days} 天：{questions} 个问题，{abstained} 个未能回答（{rate:.0%}），"
        "👍 {up} / 👎 {down}；回答耗时中位数 {p50} ms，p95 {p95} ms。\n每天的问题数：{per_day}",
    },
}

# What the Telegram command menu shows, per language (set_my_commands).
COMMANDS: dict[str, list[tuple[str, str]]] = {
    "en": [
        ("ask", "Ask a question"),
        ("brief", "Pre-meeting briefing on a scenario or vendor"),
        ("compare", "Compare vendors side by side"),
        ("sources", "Sources of the last answer"),
        ("reset", "Forget the conversation"),
        ("meeting", "Schedule a briefing before a meeting"),
        ("meetings", "List or cancel scheduled briefings"),
        ("timezone", "Set your time zone"),
        ("help", "How to use this bot"),
    ],
    "zh": [
        ("ask", "提问"),
        ("brief", "场景或服务商的会前简报"),
        ("compare", "对比服务商"),
        ("sources", "上一个回答的出处"),
        ("reset", "清除对话上下文"),
        ("meeting", "会议前发送简报"),
        ("meetings", "查看或取消已安排的简报"),
        ("timezone", "设置时区"),
        ("help", "使用说明"),
    ],
}


def reply_lang(text: str, language_code: str | None = None) -> Lang:
    """The language to reply in: the request's own text decides (store.language); a request
    without letters (a bare command, a button) gets the user's Telegram language."""
    client: Lang = "zh" if (language_code or "").lower().startswith("zh") else "en"
    return detect_lang(text, default=client)


def t(key: str, lang: str, **values: object) -> str:
    """The text for `key` in `lang` (English when missing), with `values` filled in."""
    variants = TEXTS[key]
    template = variants.get(lang) or variants["en"]
    return template.format(**values) if values else template
