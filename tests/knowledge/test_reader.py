"""The reader: question kinds, filler shapes, passages that hold the answer, meaning across
languages, and abstention from weak evidence, on small documents written here."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from knowledge.answering.questions import question_kind
from knowledge.answering.reader import Thresholds, display_lines, own_words, read
from knowledge.answering.shapes import (
    comment_text,
    figure_quantities,
    has_figure,
    is_code,
    is_filler,
    is_heading_like,
    is_lead_in,
    is_link_list,
    is_pointer,
    is_self_introduction,
    is_setting,
    is_value_label,
)
from knowledge.domain.glossary import default_glossary
from knowledge.retrieval.retriever import Hit, Retrieval
from knowledge.retrieval.text import tokenize
from store.schema import Chunk
from store.sentences import split_sentences


def chunk(text: str, *, lang: str = "en", index: int = 3, title: str = "Guide") -> Chunk:
    return Chunk(
        text=text, source=f"docs/{abs(hash(text))}.md", chunk_index=index, title=title, lang=lang
    )


def retrieval(question: str, *chunks: Chunk, dense: float = 0.9) -> Retrieval:
    terms = tokenize(question)
    return Retrieval(
        query=question,
        hits=tuple(Hit(c, 1.0 / (i + 1), dense, 1.0) for i, c in enumerate(chunks)),
        terms=tuple(terms),
        term_weights=tuple(1.0 for _ in terms),
        top_dense=dense,
        vector=_unit(0),
    )


def _unit(axis: int, lean: float = 0.0) -> np.ndarray:
    """A unit vector on `axis`, leaning `lean` towards axis 0 (the question's direction)."""
    vector = np.zeros(8, dtype=np.float32)
    vector[axis] = 1.0
    vector[0] += lean
    return vector / np.linalg.norm(vector)


def vectors_for(target: Chunk, close: dict[str, float]) -> dict[str, list[tuple[str, np.ndarray]]]:
    """Sentence vectors: each sentence containing a key of `close` gets that cosine with the
    question; the others are unrelated."""
    found = []
    for sentence in split_sentences(target.text):
        cosine = next((c for key, c in close.items() if key in sentence), 0.2)
        lean = cosine / max(np.sqrt(1 - cosine**2), 1e-6)
        found.append((sentence, _unit(1, lean) if cosine < 0.999 else _unit(0)))
    return {target.id: found}


def idf(_term: str) -> float:
    return 1.0


# --- question kinds ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("How many viewers can one room hold?", "amount"),
        ("Acme 默认的 HLS 延迟是多少？", "amount"),
        ("Which protocols does the server support?", "listing"),
        ("有哪些参数可以降低延迟？", "listing"),
        ("How do I configure TLS?", "how"),
        ("怎么配置回调？", "how"),
        ("Can viewers on Safari play WebRTC?", "yes_no"),
        ("支持 H.265 吗？", "yes_no"),
        ("What is WHIP?", "definition"),
    ],
)
def test_question_kinds(question: str, kind: str) -> None:
    assert getattr(question_kind(question), kind)


def test_a_configuration_named_is_no_how_to() -> None:
    # 配置 is "configuration" as often as "to configure": a question about the default one asks
    # for an amount, and no lead-in to a list of settings should win for it.
    kind = question_kind("直接用默认配置，延迟大概是多少？")
    assert kind.amount and not kind.how
    assert question_kind("怎么配置回调？").how


# --- shapes --------------------------------------------------------------------------------


def test_filler_shapes_are_recognised() -> None:
    assert is_heading_like("Audio quality")
    assert is_heading_like("推流配置")
    assert is_heading_like("Installing Acme Meet on your own Linux Server")
    assert is_heading_like("- Download the Meet App for Android / iOS / F-Droid")
    assert not is_heading_like("The bridge routes video between participants in a conference")
    assert not is_heading_like("- Use OBS Studio, FFmpeg or GStreamer to Publish Streams.")
    assert is_code("hls_fragment 10;")
    assert is_code("muc: 'conference.<FQDN>',") and is_code('name = "meet.example.com"')
    assert not is_code('The room is called "Lobby", as the guide says.')
    assert is_code("$ docker run -p 1935:1935 acme/server")
    assert is_link_list("Docs: https://example.com/a https://example.com/b")
    assert is_link_list("[Acme RTC pricing page (summary)](https://acme.example/pricing)")
    assert not is_link_list("See [the guide](https://acme.example/g): rooms hold 500 people.")
    assert is_link_list("Docs: [a](https://acme.example/a) [b](https://acme.example/b)")
    assert is_pointer("See the table below.")
    assert is_filler("下面按主题分组，挑和你产品相关的问。")
    assert is_lead_in("以下是常见问题。")  # it introduces what follows, which is quoted with it
    assert is_filler("Thank you so much for being so interested in Acme.")
    assert is_filler("- 欢迎加入我们的社区。")
    assert not is_filler("下面的配置可以把延迟降低到 3 秒。")  # it states a figure
    assert is_filler("Why does the support team matter so much?")
    assert is_filler("背后的技术支持团队,靠不靠谱？")
    assert is_lead_in("A team needs people of three specialities:")
    assert is_self_introduction("This guide explains how to choose a vendor.", 0, 0)
    assert is_self_introduction("NimbusRTC is a platform for live video.", 0, 0)
    assert not is_self_introduction("NimbusRTC is a platform for live video.", 4, 2)
    assert is_self_introduction("场景指南覆盖语聊房。", 3, 2, title="本知识库使用说明")
    # A section introducing a product by its name: every line of it is the product's pitch ...
    pitch = "AcmeRTC can receive streams from encoders and cameras."
    assert is_self_introduction(pitch, 3, 2, section="Introduction > What is AcmeRTC?")
    assert is_self_introduction("它支持多种协议。", 3, 2, section="什么是 AcmeKit")
    assert is_self_introduction("它支持多种协议。", 3, 2, section="AcmeKit 简介")
    # ... but one introducing a concept answers what the concept is.
    assert not is_self_introduction(pitch, 3, 2, section="What is bypass streaming?")
    assert not is_self_introduction(pitch, 3, 2, section="What Is Load Balancing?")
    assert not is_self_introduction("延时是从采集到播放的时间。", 3, 2, section="什么是延时")
    for prose in (
        "The default HLS latency is about 30 seconds.",
        "Acme 默认的 HLS 延迟大约是 30 秒。",
        "Browser: Firefox; Support: yes; Versions: 115+",
    ):
        assert not is_filler(prose), prose
    assert has_figure("It takes 350 ms to connect.") and has_figure("延迟降低到 6 秒")


# --- passages ------------------------------------------------------------------------------


def test_an_amount_question_prefers_the_sentence_with_the_figure() -> None:
    doc = chunk(
        "HLS latency depends on the fragment and window settings. "
        "With the default settings the latency is about 30 seconds. "
        "Latency matters to every viewer."
    )
    found = read(
        "How much latency does HLS have by default?", retrieval("q", doc), idf, {}, Thresholds()
    )
    assert not found.abstained
    assert "30 seconds" in found.passages[0].quote


def test_a_lead_in_is_quoted_with_the_list_it_introduces() -> None:
    doc = chunk(
        "Building a live product takes people of several specialities:\n"
        "- a media engineer for encoding and delivery\n"
        "- a client engineer for the players\n"
        "- an operations engineer for monitoring\n"
        "Hiring takes time."
    )
    question = "Which roles does a live product team need?"
    found = read(question, retrieval(question, doc), idf, {}, Thresholds())
    quote = found.passages[0].quote
    assert "several specialities" in quote and "operations engineer" in quote
    assert quote in doc.text  # verbatim, one contiguous span


def test_a_table_row_is_quoted_with_its_header() -> None:
    doc = chunk("Browser: Firefox; Support: yes; Versions: 115+\nBrowser: Safari; Support: no")
    question = "Which Firefox versions are supported?"
    found = read(question, retrieval(question, doc), idf, {}, Thresholds())
    assert found.passages[0].quote.startswith("Browser: Firefox; Support: yes")


def test_filler_is_never_the_answer() -> None:
    doc = chunk(
        "NimbusRTC is a platform for real-time video.\n"
        "See the table below.\n"
        "NimbusRTC connects a call in 350 ms on average.",
        index=0,
        title="NimbusRTC",
    )
    question = "How fast does NimbusRTC connect a call?"
    found = read(question, retrieval(question, doc), idf, {}, Thresholds())
    assert found.passages[0].quote == "NimbusRTC connects a call in 350 ms on average."
    assert all("platform for" not in p.quote and "below" not in p.quote for p in found.passages)


# --- meaning across languages, and abstention ----------------------------------------------


def test_an_english_question_finds_the_chinese_sentence_by_meaning() -> None:
    doc = chunk("语聊房最重要的是没有噪音、没有回声、不卡顿。主播的头像要清晰。", lang="zh")
    question = "What matters for a voice room?"
    vectors = vectors_for(doc, {"没有噪音": 0.9})
    found = read(question, retrieval(question, doc, dense=0.8), idf, vectors, Thresholds())
    assert not found.abstained
    assert "没有噪音" in found.passages[0].quote


def test_a_chinese_question_finds_the_english_sentence_by_meaning() -> None:
    doc = chunk("Echo cancellation removes the far end's voice. The logo is blue.")
    question = "回声消除有什么用？"
    vectors = vectors_for(doc, {"Echo cancellation": 0.9})
    found = read(question, retrieval(question, doc, dense=0.8), idf, vectors, Thresholds())
    assert "Echo cancellation" in found.passages[0].quote


def test_a_short_sentence_with_chinese_in_it_is_measured_as_chinese() -> None:
    # By its letters an English sentence (three names, three Chinese characters), and under
    # the English minimum length; by what it says, a whole answer.
    doc = chunk("Acme v5+授权是MIT。旧版本的授权另见附录。", lang="zh")
    question = "Acme v5 用的是什么授权？"
    vectors = vectors_for(doc, {"v5+": 0.95})
    found = read(question, retrieval(question, doc, dense=0.8), idf, vectors, Thresholds())
    assert not found.abstained
    assert found.passages[0].quote.startswith("Acme v5+授权是MIT。")


def _with_concepts(found: Retrieval) -> Retrieval:
    return replace(found, concepts=default_glossary().concepts(found.query))


def test_a_weaker_cross_lingual_match_answers_when_it_uses_the_questions_terms() -> None:
    doc = chunk(
        "还有一类是语音社交场景,比如语聊房、游戏语音这些。"
        "虽然没有视频,但对音质的传输质量要求很高,不能有杂音、不能有回声、不能有断连。"
        "直播这个赛道依然很火。",
        lang="zh",
    )
    question = "What matters for a voice room?"
    # Cross-lingual cosines of a small model run low: above the weak bar, below the strong one.
    vectors = vectors_for(doc, {"语聊房": 0.81, "杂音": 0.81, "赛道": 0.81})
    plain = retrieval(question, doc, dense=0.8)
    assert read(question, plain, idf, vectors, Thresholds()).abstained
    found = read(question, _with_concepts(plain), idf, vectors, Thresholds())
    assert not found.abstained
    # The sentence naming the voice room leads, with the one that says what it needs.
    assert found.passages[0].lines == tuple(split_sentences(doc.text)[:2])


def _leaning(cosine: float, axis: int) -> np.ndarray:
    """A unit vector with `cosine` to the question, off it along `axis` (sentences on different
    axes are no duplicates of each other)."""
    return _unit(axis, cosine / np.sqrt(1 - cosine**2))


def _settled_then_weaker(
    section: str,
) -> tuple[Chunk, Chunk, dict[str, list[tuple[str, np.ndarray]]]]:
    settles = replace(
        chunk(
            "Acme 中的 srt 根据 streamid 来确定是推流还是拉流。\n\nAcme 的 logo 是蓝色的。",
            lang="zh",
        ),
        section="使用",
    )
    names = replace(
        chunk("m 为特殊 key，如果为 publish 则为推流，否则为拉流。", lang="zh", index=4),
        source=settles.source,
        section=section,
    )
    first, logo = split_sentences(settles.text)
    vectors = {
        settles.id: [(first, _leaning(0.86, 1)), (logo, _leaning(0.2, 3))],
        names.id: [(names.text, _leaning(0.81, 2))],
    }
    return settles, names, vectors


def test_once_a_sentence_settles_the_answer_its_section_adds_the_one_holding_more_words() -> None:
    # Across languages the sentence naming the key is just under the bar that keeps questions
    # no document answers from being answered; the section's first sentence passes it.
    question = "Which key tells Acme whether a connection publishes or plays?"
    settles, names, vectors = _settled_then_weaker("使用")
    found = read(
        question, retrieval(question, settles, names, dense=0.8), idf, vectors, Thresholds()
    )
    assert [p.quote for p in found.passages] == [
        "Acme 中的 srt 根据 streamid 来确定是推流还是拉流。",
        names.text,
    ]
    # Alone, it does not answer; in another section, scored below the lead, it is no point.
    alone = read(question, retrieval(question, names, dense=0.8), idf, vectors, Thresholds())
    assert alone.abstained
    settles, elsewhere, vectors = _settled_then_weaker("附录")
    found = read(
        question, retrieval(question, settles, elsewhere, dense=0.8), idf, vectors, Thresholds()
    )
    assert [p.quote for p in found.passages] == [
        "Acme 中的 srt 根据 streamid 来确定是推流还是拉流。"
    ]


def test_a_sentence_scored_above_the_settling_one_with_more_words_joins_from_elsewhere() -> None:
    question = "Which TCP port does Acme fall back to when UDP is blocked?"
    port = chunk("5349 TCP 端口：UDP 被封时 Acme 回退到 TCP。", lang="zh")
    turn = replace(
        chunk("默认过滤 TURN/UDP 服务器，因为网桥本身可以直接访问。", lang="zh", index=5),
        section="配置",
    )
    found = retrieval(question, port, turn, dense=0.8)

    def points(port_cosine: float) -> list[str]:
        vectors = {
            port.id: [(port.text, _leaning(port_cosine, 2))],
            turn.id: [(turn.text, _leaning(0.852, 1))],
        }
        return [p.quote for p in read(question, found, idf, vectors, Thresholds()).passages]

    # The TURN sentence passes the cross-language bar and settles; the port sentence, closer by
    # its words and scored above it, joins at the weak bar's closeness, and not under it.
    assert points(0.81) == [turn.text, port.text]
    assert points(0.79) == [turn.text]


def test_a_near_domain_question_nothing_answers_abstains() -> None:
    doc = chunk("Acme Server supports RTMP, HLS and WebRTC. It runs on Linux and macOS.")
    question = "How much does Tencent TRTC charge per minute?"
    vectors = vectors_for(doc, {"Acme Server supports": 0.8})
    found = read(question, retrieval(question, doc, dense=0.8), idf, vectors, Thresholds())
    assert found.abstained and not found.passages


def test_a_paraphrase_in_the_stores_words_answers_and_one_word_it_never_uses_abstains() -> None:
    doc = chunk(
        "A recorder can record one meeting at a time. Each recording needs a recorder of its own. "
        "The logo is blue."
    )
    question = "We want to record five meetings at once: how many recorders do we need?"
    # Close in meaning, few shared words: under the strong bar, over the known-words one.
    vectors = vectors_for(doc, {"one meeting": 0.88, "of its own": 0.88})
    found = read(question, retrieval(question, doc, dense=0.85), idf, vectors, Thresholds())
    assert not found.abstained
    assert "one meeting at a time" in found.passages[0].quote

    # The same match, but the question names a product no document mentions (a word the store
    # never uses): not answered from sentences about something else.
    elsewhere = "We want to record five Zorbix meetings at once: how many recorders do we need?"
    (never,) = tokenize("Zorbix")

    def unseen(term: str) -> float:
        return 0.0 if term == never else 1.0

    missing = read(elsewhere, retrieval(elsewhere, doc, dense=0.85), unseen, vectors, Thresholds())
    assert missing.abstained


def test_a_paraphrase_in_the_stores_words_still_needs_a_close_match() -> None:
    doc = chunk("A recorder can record one meeting at a time. The logo is blue.")
    question = "How many recorders do we need for five meetings?"
    vectors = vectors_for(doc, {"one meeting": 0.84})
    found = read(question, retrieval(question, doc, dense=0.84), idf, vectors, Thresholds())
    assert found.abstained


def test_a_sentence_introducing_a_list_mid_line_brings_the_list() -> None:
    doc = chunk(
        "The following ports need to be open in the firewall: 80 TCP for certificate renewal\n"
        "- 443 TCP for the web and signalling\n"
        "- 10000 UDP for the media\n"
        "Restart the server afterwards."
    )
    question = "Which ports do we have to open in the firewall?"
    found = read(question, retrieval(question, doc), idf, {}, Thresholds())
    assert "10000 UDP" in found.passages[0].quote and "Restart" not in found.passages[0].quote


def test_code_and_markup_lines_are_filler() -> None:
    for code in (
        "# Overwrite by env SERVER_TCP_LISTEN",
        ".setAudioMuted(false)",
        "0     0%   100%    512.75kB  9.97%  example.org/server/internal/conf.init",
        "acme/streamer:1.4-latest",
        "openssl genrsa -out /etc/acme/token.key 2048",
        "-framework ios/sdk/out/device.xcarchive",
        "A --> PUSH[fa:fa-car Push streaming]",
        "█████▀ ▄██████  Acme Launcher v0.1",
        "Acme_Open_Source_White_Paper.pdf",
        'ENTRYPOINT [ "/acme" ]',
        "Acme-master/misc/prerequisites.sh --enable-gpu",
        "推荐配置如下，假设RTT是100ms：srt_server {",
        "docker run --rm -it -p 1935:1935 registry.example/acme:5 \\",
        "url: turn:REPLACE_WITH_TURN_IP:3478?transport=tcp",
        "- urls: stun:stun.example.org:19302",
        "path: /etc/acme/plugins",
    ):
        assert is_filler(code), code
    for prose in (
        "Acme is licensed under the AGPL-3.0-only.",
        "Start the server with the -c flag to pick a configuration file.",
        "RTT为100ms时，延迟约为300ms；",
        "The server answers within 120 ms [1]",
        "Use the [web console](https://acme.example/console) to watch the rooms.",
        # A label and an address answer "where do we publish?"; a key with a figure is data.
        "RTMP: rtmp://localhost:1935/live",
        "- latency: 300ms",
    ):
        assert not is_filler(prose), prose


def test_a_bare_table_row_is_read_with_its_header_and_the_header_never_answers() -> None:
    doc = chunk(
        "Measured on a laptop:\n"
        "Server | CPU | Memory | Connections\n"
        "Acme | 72.9% | 38MB | 2503\n"
        "Other | 80.1% | 90MB | 2400"
    )
    question = "How much memory did Acme use with 2500 connections?"
    vectors = vectors_for(doc, {"Acme | 72.9%": 0.9, "Server | CPU": 0.95})
    found = read(question, retrieval(question, doc), idf, vectors, Thresholds())
    point = found.passages[0]
    assert point.quote == "Acme | 72.9% | 38MB | 2503"  # verbatim, for the citation
    assert display_lines(point.lines, str) == (
        "Server: Acme · CPU: 72.9% · Memory: 38MB · Connections: 2503"
    )


def test_an_amount_question_prefers_the_figure_of_the_quantity_it_asks_for() -> None:
    assert question_kind("What bitrate cap applies by default?").quantities == {"rate"}
    assert question_kind("服务器要多少内存？").quantities == {"size"}
    assert question_kind("How many rooms can we open?").quantities == frozenset()
    doc = chunk(
        "By default virtual events run round the clock, 24 hours a day.\n"
        "Operators watch them on a dashboard with many panels and alerts.\n"
        "By default the input bitrate of virtual events is capped at 5Mbps."
    )
    question = "What bitrate cap applies by default to round-the-clock virtual events?"
    # The hours sentence is closer in meaning and shares more words: only its unit is wrong.
    vectors = vectors_for(doc, {"24 hours": 0.87, "5Mbps": 0.86})
    found = read(question, retrieval(question, doc), idf, vectors, Thresholds())
    assert found.passages[0].quote.endswith("capped at 5Mbps.")
    assert "24 hours" not in found.passages[0].quote


def test_a_figure_the_question_states_itself_is_no_answer_to_it() -> None:
    assert question_kind("With about 2,500 players, how much memory?").given == {"2500"}
    doc = chunk(
        "The recommended settings below assume a round-trip time of 100 ms.\n"
        "Operators tune the settings for each link they run.\n"
        "With a 100 ms round-trip time the latency is about 300 ms."
    )
    question = "If our link has a 100 ms round-trip time, what latency should we expect?"
    # The settings sentence is closer in meaning: its only figure is the question's own.
    vectors = vectors_for(doc, {"recommended": 0.94, "about 300": 0.88})
    found = read(question, retrieval(question, doc), idf, vectors, Thresholds())
    assert "about 300 ms" in found.passages[0].quote


def test_a_lead_in_to_code_brings_neither_the_code_nor_a_list() -> None:
    doc = chunk(
        "Recommended configuration for a 100 ms link:\n"
        "srt_server {\n"
        "Each setting is three times the round-trip time."
    )
    question = "How do I configure the server for a 100 ms link?"
    found = read(question, retrieval(question, doc), idf, {}, Thresholds())
    assert all("srt_server" not in point.quote for point in found.passages)


def test_a_lead_in_ending_in_a_colon_before_code_is_never_a_point() -> None:
    # Alone, "Removes the embedded meeting:" says nothing; the code it hands over to is not shown.
    doc = chunk(
        "Removes the embedded meeting:\n"
        "api.dispose();\n"
        "A moderator cannot unmute other participants; they unmute themselves."
    )
    question = "Can a moderator unmute other participants?"
    vectors = vectors_for(doc, {"Removes": 0.95, "cannot unmute": 0.91})
    found = read(question, retrieval(question, doc), idf, vectors, Thresholds())
    assert [point.quote for point in found.passages] == [
        "A moderator cannot unmute other participants; they unmute themselves."
    ]
    # At the end of a chunk it introduces nothing either.
    alone = chunk("The meeting is removed with this call:")
    vectors = vectors_for(alone, {"removed": 0.95})
    assert read(question, retrieval(question, alone), idf, vectors, Thresholds()).abstained


def test_a_list_of_lead_ins_to_videos_is_never_a_point() -> None:
    # Each item introduced a video the text does not hold: the list says nothing.
    doc = chunk(
        "Events are kept for seven days and then deleted.\n"
        "Examples:\n"
        "- Filter the relay's events:\n"
        "- Filter the relay's events of one region:\n"
        "- Filter the gateway's events:"
    )
    question = "How do we filter the relay's events?"
    vectors = vectors_for(doc, {"Examples": 0.95, "Filter": 0.94, "kept": 0.91})
    found = read(question, retrieval(question, doc), idf, vectors, Thresholds())
    assert [point.quote for point in found.passages] == [
        "Events are kept for seven days and then deleted."
    ]


def test_a_table_row_drawing_a_diagram_is_never_a_point() -> None:
    doc = chunk(
        "Component | Port | Peer\n"
        "Acme Meet | 5222 TCP <---------+ | media bridge\n"
        "Media bridge | 10000 UDP | clients"
    )
    question = "Which port does the media bridge use for media?"
    vectors = vectors_for(doc, {"5222 TCP": 0.95, "10000 UDP": 0.9})
    found = read(question, retrieval(question, doc), idf, vectors, Thresholds())
    assert [point.quote for point in found.passages] == ["Media bridge | 10000 UDP | clients"]


def test_a_how_to_quotes_a_bulleted_statement_alone_and_a_lead_ins_steps_whole() -> None:
    steps = chunk(
        "To open the bridge's port:\n"
        "- Open UDP port 10000 in the firewall.\n"
        "- Restart the bridge service."
    )
    question = "How do I set up the bridge's firewall port?"
    vectors = vectors_for(steps, {"UDP port": 0.93})
    found = read(question, retrieval(question, steps), idf, vectors, Thresholds())
    assert found.passages[0].quote == steps.text  # the steps, whole, with their lead-in

    statements = chunk(
        "- In live shows, viewers notice when a coupon drops seconds after the host's call.\n"
        "- In live shows, viewers notice colour accuracy on close-ups.\n"
        "- In live shows, viewers notice stalls during flash sales."
    )
    question = "How do we keep coupon drops in time with the host?"
    vectors = vectors_for(statements, {"coupon drops": 0.93})
    found = read(question, retrieval(question, statements), idf, vectors, Thresholds())
    assert found.passages[0].quote.startswith("- In live shows, viewers notice when a coupon")
    assert "colour accuracy" not in found.passages[0].quote


def test_an_amount_question_asking_for_a_bound_prefers_the_figure_stated_with_it() -> None:
    assert question_kind("推流断掉以后，默认要隔多久才清理切片？").bounds == {"default"}
    assert question_kind("Up to about how many sessions is it recommended?").bounds == {"most"}
    assert question_kind("最少要几核 CPU？").bounds == {"least"}
    doc = chunk(
        "For example, after a stream stops the server removes fragments of 10 seconds in turn.\n"
        "Operators tune the window and the fragments for each stream they run.\n"
        "By default the server removes the fragments 120 seconds after the stream stops."
    )
    question = "How long after a stream stops does the server remove its fragments by default?"
    # The example is closer in meaning, shares nearly as many words and states a figure of the
    # same quantity: only the default sentence states the bound asked for.
    vectors = vectors_for(doc, {"For example": 0.93, "By default": 0.905})
    found = read(question, retrieval(question, doc), idf, vectors, Thresholds())
    assert "120 seconds" in found.passages[0].quote


def test_a_compound_the_store_never_writes_is_left_to_its_parts() -> None:
    question = "Is peer-to-peer delivery recommended?"
    doc = chunk("Peer to peer delivery is recommended for large audiences of viewers.")
    found = retrieval(question, doc)
    known = {"peer", "deliveri", "recommend"}
    assert own_words(found, lambda term: 1.0 if term in known else 0.0) == [
        "peer",
        "peer",
        "deliveri",
        "recommend",
    ]
    # Written as one in the store, the compound stays a word of its own.
    assert "peer-to-peer" in own_words(found, lambda term: 1.0)


def test_a_commented_setting_answers_with_its_description_and_the_setting() -> None:
    doc = chunk(
        "[rtc]\n"
        "#timeout of a session, in seconds\n"
        "timeoutSec=15\n"
        "#the UDP port every client sends its media to\n"
        "#when the server is behind NAT, map the same port outside\n"
        "port=8000\n"
        "#port=9000"
    )
    question = "Which UDP port do clients send their media to?"
    vectors = vectors_for(doc, {"UDP port": 0.93, "timeout": 0.85})
    point = read(question, retrieval(question, doc), idf, vectors, Thresholds()).passages[0]
    assert point.quote == (
        "#the UDP port every client sends its media to\n"
        "#when the server is behind NAT, map the same port outside\n"
        "port=8000"
    )
    assert display_lines(point.lines, str) == (
        "the UDP port every client sends its media to; "
        "when the server is behind NAT, map the same port outside: port=8000"
    )
    assert is_setting("maxStreamWaitMS: 15000") and is_setting("externIP=")
    assert not is_setting("Note: it works")
    assert comment_text("#port=9000") is None and comment_text("#-----") is None


def test_a_reference_entrys_description_answers_an_amount_with_its_label_line() -> None:
    entry = chunk(
        "Type: int Default: 30000\n"
        "How long a player may send no request before it counts as gone, in milliseconds.",
        title="Configuration reference",
    )
    prose = chunk(
        "Players send requests while they watch. A player that stops watching is gone after a "
        "while, and the statistics count it no more."
    )
    question = "How long without requests before a player counts as gone?"
    vectors = {
        **vectors_for(entry, {"counts as gone": 0.93}),
        **vectors_for(prose, {"gone after": 0.9}),
    }
    point = read(question, retrieval(question, entry, prose), idf, vectors, Thresholds())
    lead = point.passages[0]
    assert lead.quote == entry.text  # verbatim, in the order written
    assert lead.lines == tuple(entry.text.split("\n"))
    # The label line alone says nothing; in a long section no line is read as its label.
    assert is_value_label("类型: int 默认值: 5000") and is_value_label("Default value: 10 s")
    assert not is_value_label("Note: it works in 5 minutes with the new build")
    assert not is_value_label("See: https://example.invalid/v2")
    long_section = chunk(entry.text + " " + " ".join(f"Line {n} says more." for n in range(6)))
    long_vectors = vectors_for(long_section, {"counts as gone": 0.93})
    found = read(question, retrieval(question, long_section), idf, long_vectors, Thresholds())
    assert not found.abstained
    assert all("Default: 30000" not in passage.quote for passage in found.passages)


def test_a_dockerfile_instruction_is_code() -> None:
    assert is_code("FROM acme/server:1 AS server")
    assert is_code("ENV ACME_PORT=8000")
    assert not is_code("ACME supports RTMP, HLS and WebRTC.")
    assert not is_code("NAT / firewall traversal needs a TURN server.")


def test_a_question_in_the_domains_words_needs_more_than_those_words_to_answer() -> None:
    # A product nobody documented, asked about in the domain's vocabulary: the sentences share
    # the glossary's words (latency, SLA) and little else, and must not answer at a cosine a
    # question in the domain's words otherwise answers at.
    doc = chunk(
        "Acme Cloud guarantees an SLA of 99.9% and a latency under 400 ms for its customers.\n"
        "Acme Cloud runs its own network of relays across the world.",
        index=0,
    )
    vectors = vectors_for(doc, {"guarantees an SLA": 0.87})
    near = "What SLA and latency does Quokka Streams' free tier promise to hobby projects?"
    found = read(near, _with_concepts(retrieval(near, doc, dense=0.8)), idf, vectors, Thresholds())
    assert found.abstained
    asked = "What SLA and latency does Acme Cloud guarantee?"
    found = read(
        asked, _with_concepts(retrieval(asked, doc, dense=0.8)), idf, vectors, Thresholds()
    )
    assert not found.abstained and "99.9%" in found.passages[0].quote


def test_rates_in_bits_per_second_and_amounts_of_time_in_words_are_figures() -> None:
    assert has_figure("720 (HD) = 2500 kbits/s") and has_figure("a 10 Gbits/s link")
    assert figure_quantities("720 (HD) = 2500 kbits/s") == {"rate"}
    assert has_figure("CDN 直播最便宜，代价是几秒延迟。") and has_figure("a delay of a few seconds")
    assert figure_quantities("代价是几秒延迟") == {"time"}
    assert not has_figure("几个人负责测试") and not has_figure("Seconds matter to viewers.")


def test_an_amount_in_words_answers_roughly_how_long_but_not_a_question_stating_one() -> None:
    doc = chunk(
        "Rooms for interactive shows let viewers talk back to the host within 1 second.\n"
        "Operators pick the delivery for each show they run.\n"
        "A show watched over a CDN is the cheapest at scale, at the cost of a few seconds."
    )
    question = "Roughly what delay do viewers of a show watched over a CDN get?"
    # The CDN sentence is the closer one; before amounts in words counted, the other's figure
    # (of the quantity asked) outweighed that.
    vectors = vectors_for(doc, {"Rooms for": 0.9, "over a CDN": 0.92})
    found = read(question, retrieval(question, doc), idf, vectors, Thresholds())
    assert "a few seconds" in found.passages[0].quote
    # Asked "a few seconds of delay?", a sentence saying "a few seconds" has not answered.
    doc = chunk(
        "Players such as VLC buffer a lot: viewers see a few seconds of delay with them.\n"
        "Operators pick the player for each show they run.\n"
        "With WebRTC the delay falls from 1-3 seconds to 100-300 ms."
    )
    question = "Viewers see a few seconds of delay: how low does WebRTC bring it?"
    vectors = vectors_for(doc, {"Players such": 0.92, "With WebRTC": 0.9})
    found = read(question, retrieval(question, doc), idf, vectors, Thresholds())
    assert "100-300 ms" in found.passages[0].quote


def test_a_short_item_saying_what_is_not_or_only_so_is_a_statement_not_a_heading() -> None:
    for statement in (
        "- fec 与加密没有实现",
        "- 推流只支持 ts 推流",
        "- No FEC support",
        "- Not on iOS",
    ):
        assert not is_heading_like(statement), statement
    for heading in ("推流配置", "- Audio quality", "播放器 GOP 缓存延时"):
        assert is_heading_like(heading), heading
    doc = chunk("特性如下：\n- NACK(重传)\n- listener 支持\n- fec 与加密没有实现", lang="zh")
    question = "SRT 的 FEC 和加密有没有实现？"
    vectors = vectors_for(doc, {"fec": 0.9, "NACK": 0.88})
    found = read(question, retrieval(question, doc), idf, vectors, Thresholds())
    assert "fec 与加密没有实现" in found.passages[0].quote
