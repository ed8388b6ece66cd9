"""English irregular verb forms and their base forms ("paid" → "pay"), so that a question's
word finds the dictionary's translations, which are listed under the base form ("to pay": 付费,
支付). Regular forms need no table: the tokenizer's stemmer reduces them ("licensed" → "licens").
English grammar, not any corpus's vocabulary: the common irregular verbs."""

from __future__ import annotations

from functools import lru_cache

from store.tokens import tokenize

# Base form, then its irregular past and past-participle forms.
_IRREGULAR = """
arise arose arisen | become became | begin began begun | bind bound | break broke broken |
bring brought | build built | buy bought | catch caught | choose chose chosen | come came |
deal dealt | draw drew drawn | drink drank drunk | drive drove driven | eat ate eaten |
fall fell fallen | feed fed | feel felt | fight fought | find found | fly flew flown |
forbid forbade forbidden | forget forgot forgotten | freeze froze frozen | get got gotten |
give gave given | go went gone | grow grew grown | hang hung | hear heard |
hide hid hidden | hold held | keep kept | know knew known | lay laid | lead led | leave left |
lend lent | lose lost | make made | mean meant | meet met | pay paid | ride rode ridden |
ring rang rung | rise rose risen | run ran | say said | see saw seen | seek sought | sell sold |
send sent | shake shook shaken | shine shone | shoot shot | show shown | shrink shrank shrunk |
sing sang sung | sink sank sunk | sit sat | sleep slept | slide slid | speak spoke spoken |
spend spent | stand stood | steal stole stolen | stick stuck | strike struck | swim swam swum |
take took taken | teach taught | tear tore torn | tell told | think thought | throw threw thrown |
understand understood | wake woke woken | wear wore worn | win won | withdraw withdrew withdrawn |
write wrote written
"""


@lru_cache(maxsize=1)
def _forms() -> dict[str, str]:
    """Each irregular form's term → its base form's term, as the tokenizer writes them."""
    forms: dict[str, str] = {}
    for group in _IRREGULAR.split("|"):
        base, *others = group.split()
        based = tokenize(base)
        if not based:
            continue  # a stopword ("do", "have"): never a query term
        base_term = based[0]
        for other in others:
            terms = tokenize(other)
            if len(terms) == 1 and terms[0] != base_term:
                forms.setdefault(terms[0], base_term)
    return forms


def base_form(term: str) -> str | None:
    """The base form's term of an irregular verb form's term ("paid" → "pay"), else None."""
    return _forms().get(term)
