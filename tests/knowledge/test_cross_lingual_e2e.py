"""With only a Chinese article in the store and the real model, English questions are answered
from it (cited, verbatim, noted as from a Chinese source) and off-topic ones abstain."""

from __future__ import annotations

import pytest

from config.settings import Settings
from knowledge.assistant import KnowledgeAssistant
from knowledge.factory import open_assistant

pytestmark = pytest.mark.e2e

# Lines of the seed guidance article (../shared/seed), a Chinese text with no front matter.
ARTICLE = """直播系统源码技术支持团队的规模和资质,到底该怎么选?
如果你正在搭建一套直播系统,不管是秀场直播、1v1社交互动,还是想做一个语音房,肯定会遇到一个关键问题:背后的技术支持团队,靠不靠谱?
技术支持团队的人员构成
一个完整的音视频技术团队,通常需要包含各个专业方向的人才。从事音视频编解码的工程师,做网络优化的专家,搞服务端架构的技术负责人,还有专门负责客户成功的服务团队。这些角色缺一不可。
不同场景对技术支持的要求有什么差异?
直播系统其实是个很大的范畴,不同的应用场景,对技术的要求侧重点不太一样。
比如秀场直播,更多关注的是画质和流畅度。用户进来是看主播的,画面必须清晰好看,不能有马赛克,也不能卡顿。
再比如1v1社交场景,最关键的是延迟和接通速度。两个陌生人视频连线,延迟一高,聊天体验就会很尴尬。
还有一类是语音社交场景,比如语聊房、游戏语音这些。虽然没有视频,但对音质的传输质量要求很高,不能有杂音、不能有回声、不能有断连。这又涉及到音频编解码和网络传输的优化。
写在最后
如果正在做技术选型,不妨多比较几家,亲自试一试。
"""


@pytest.fixture(scope="module")
def assistant(tmp_path_factory: pytest.TempPathFactory, embedder: object) -> KnowledgeAssistant:
    from ingest.pipeline import Ingestor

    base = tmp_path_factory.mktemp("seed")
    (base / "docs").mkdir()
    (base / "docs" / "guide.txt").write_text(ARTICLE, "utf-8")
    settings = Settings(data_dir=base / "data", chroma_path=base / "chroma")
    assert Ingestor(settings, embedder).sync([base / "docs"]).failed == []  # type: ignore[arg-type]
    return open_assistant(settings, base / "chroma")


def test_an_english_question_is_answered_from_the_chinese_article(
    assistant: KnowledgeAssistant,
) -> None:
    answer = assistant.ask("What matters for a voice room?")
    assert not answer.abstained
    assert answer.lang == "en"
    lead = answer.sections[0].points[0]
    # The sentence naming the scenario, with the one after it that says what it needs.
    assert "语聊房" in lead.text and "不能有回声" in lead.text
    assert lead.source_lang == "zh" and lead.verbatim
    assert all(citation.quote in ARTICLE for citation in answer.citations)


def test_a_lead_in_is_quoted_with_the_sentence_that_names_what_it_announces(
    assistant: KnowledgeAssistant,
) -> None:
    answer = assistant.ask("What roles does an audio/video team need?")
    assert not answer.abstained
    lead = answer.sections[0].points[0].text
    assert "各个专业方向的人才" in lead and "做网络优化的专家" in lead


@pytest.mark.parametrize(
    "question",
    ["What is the stock price of Tencent today?", "How do I bake sourdough bread?"],
)
def test_an_off_topic_english_question_abstains(
    assistant: KnowledgeAssistant, question: str
) -> None:
    assert assistant.ask(question).abstained


def test_must_abstain_questions_are_asked_again_of_the_other_language_alone(
    assistant: KnowledgeAssistant,
) -> None:
    from knowledge.evaluation.questions import EvalQuestion
    from knowledge.evaluation.runner import other_language_abstention

    questions = [
        EvalQuestion("a", "Which country won the 2014 FIFA World Cup?", False, (), ()),
        # The store holds no English for a Chinese question to be asked of: not counted.
        EvalQuestion("b", "明天北京会下雨吗？", False, (), ()),
        EvalQuestion("c", "What matters for a voice room?", True, (), ("语聊房",)),
    ]
    figures = other_language_abstention(assistant, questions)
    assert figures == {"n_abstain_other_language": 1, "abstain_other_language": 1.0}
