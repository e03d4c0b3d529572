"""Budget admission in the gateway: every attempt reserved before it is sent, settled
with what it was billed. Against the simulator over HTTP, with an in-memory admission
(the database one is processing.budget's, tested there)."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from extractor.llm.admission import attempt_worst_case, prompt_token_bound
from extractor.llm.errors import BudgetExceededError, ProviderUnavailableError
from extractor.llm.gateway import CallContext, complete_json
from extractor.llm.models import LLMCall
from extractor.llm.pricing import cost_usd, worst_cost_usd
from extractor.llm.structured import prepare_request
from extractor.llm.tokens import count_messages, count_text

pytestmark = pytest.mark.django_db

SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "required": ["year", "country"],
    "properties": {"year": {"type": ["integer", "null"]}, "country": {"type": "string"}},
}
MESSAGES = [
    {"role": "system", "content": "Extract the year and the country from the document."},
    {"role": "user", "content": "The Treaty of Lisbon was signed in 2007 by Portugal."},
]


class Ledger:
    """An admission that admits until ``refuse_after`` reservations and remembers all."""

    def __init__(self, refuse_after: int = 99):
        self.refuse_after = refuse_after
        self.asked: list[Decimal] = []
        self.settled: list[tuple[Decimal, Decimal]] = []

    def reserve(self, amount: Decimal) -> bool:
        self.asked.append(amount)
        return len(self.asked) <= self.refuse_after

    def settle(self, reserved: Decimal, actual: Decimal) -> None:
        self.settled.append((reserved, actual))


def ask(admission: Ledger, **options):
    return complete_json(
        messages=MESSAGES,
        schema_name="answer",
        json_schema=SCHEMA,
        model="gpt-4o-mini",
        context=CallContext(purpose="test", job_id=7, admission=admission),
        **options,
    )


def test_an_answer_settles_its_reservation_with_what_it_cost(llm_simulator):
    admission = Ledger()
    result = ask(admission)
    assert len(admission.asked) == 1
    assert admission.settled == [(admission.asked[0], result.cost_usd)]
    assert 0 < result.cost_usd < admission.asked[0]
    [request] = llm_simulator.requests()
    billed = cost_usd(
        "gpt-4o-mini",
        prompt_tokens=request["prompt_tokens"],
        cached_tokens=0,
        completion_tokens=request["completion_tokens"],
    )
    assert billed <= admission.asked[0]


def test_a_refused_first_attempt_sends_and_records_nothing(llm_simulator):
    with pytest.raises(BudgetExceededError):
        ask(Ledger(refuse_after=0))
    assert llm_simulator.requests() == []
    assert not LLMCall.objects.exists()


def test_every_retry_is_admitted_and_settled(start_llm_simulator):
    start_llm_simulator(fault_script=("500", "malformed"))
    admission = Ledger()
    result = ask(admission)
    # The 500, the malformed answer, then its correction with a longer prompt.
    assert len(admission.asked) == len(admission.settled) == 3
    assert admission.asked[2] > admission.asked[1] == admission.asked[0]
    assert admission.settled[0][1] == 0  # a 500 bills nothing
    assert all(actual <= reserved for reserved, actual in admission.settled)
    assert sum(actual for _, actual in admission.settled) == result.cost_usd
    assert LLMCall.objects.get().cost_usd == result.cost_usd


def test_each_settled_attempt_is_on_the_ledger_row_with_it(start_llm_simulator):
    """The budget and the ledger are written together at every attempt: a worker killed
    before the corrective retry ends leaves the first attempt's cost in both."""
    start_llm_simulator(fault_script=("malformed",))
    seen = []

    class Watching(Ledger):
        def settle(self, reserved: Decimal, actual: Decimal) -> None:
            super().settle(reserved, actual)
            row = LLMCall.objects.get()
            seen.append((row.outcome, row.attempts, row.cost_usd))

    admission = Watching()
    result = ask(admission)
    first = admission.settled[0][1]
    assert seen == [("pending", 1, first), ("pending", 2, result.cost_usd)]
    assert 0 < first < result.cost_usd


def test_a_refused_retry_records_what_the_first_attempt_cost(start_llm_simulator):
    simulator = start_llm_simulator(fault_script=("malformed",))
    admission = Ledger(refuse_after=1)
    with pytest.raises(BudgetExceededError):
        ask(admission)
    assert len(simulator.requests()) == 1
    call = LLMCall.objects.get()
    assert (call.outcome, call.error_type, call.attempts) == ("error", "BudgetExceededError", 1)
    assert call.cost_usd > 0
    assert admission.settled == [(admission.asked[0], call.cost_usd)]


def test_a_reservation_is_released_when_the_call_gives_up(start_llm_simulator, settings):
    start_llm_simulator(fault_script=("500", "500"))
    settings.LLM_MAX_ATTEMPTS = 2
    admission = Ledger()
    with pytest.raises(ProviderUnavailableError):
        ask(admission)
    assert admission.settled == [(amount, Decimal(0)) for amount in admission.asked]


def test_a_cached_answer_asks_no_admission(llm_simulator):
    ask(Ledger())
    admission = Ledger()
    assert ask(admission).cached
    assert admission.asked == [] and admission.settled == []


@pytest.mark.parametrize(
    "text",
    [
        "Plain English text about a treaty signed in 2007 by 27 states. " * 20,
        "東京で2015年に署名された協定には12か国が参加した。" * 20,
        "Ünïcödé ëvérÿwhérè, مرحبا بالعالم, Привет мир; 🙂🙂🙂 " * 20,
    ],
)
def test_the_prompt_bound_holds_for_any_tokenizer(text):
    messages = [{"role": "system", "content": "Extract."}, {"role": "user", "content": text}]
    sent, response_format = prepare_request(
        messages=messages, schema_name="answer", json_schema=SCHEMA, mode="json_schema"
    )
    counted = count_messages(sent, "gpt-4o-mini")
    bound = prompt_token_bound(
        sent, model="gpt-4o-mini", response_format=response_format, prompt_tokens=counted
    )
    # Our count (what the simulator bills) fits, and so does the worst tokenizer there
    # is: one token per byte of the text and of the schema the provider adds.
    schema = json.dumps(response_format, separators=(",", ":"))
    assert bound >= counted
    assert bound >= sum(len(m["content"].encode()) for m in sent) + len(schema.encode())


def test_the_prompt_bound_with_the_models_own_encoding_adds_the_schema_and_a_margin(
    monkeypatch,
):
    import extractor.llm.admission as admission

    sent, response_format = prepare_request(
        messages=MESSAGES, schema_name="answer", json_schema=SCHEMA, mode="json_schema"
    )
    counted = count_messages(sent, "gpt-4o-mini")

    def bound(exact: bool) -> int:
        monkeypatch.setattr(admission, "exact_encoding", lambda model: exact)
        return prompt_token_bound(
            sent, model="gpt-4o-mini", response_format=response_format, prompt_tokens=counted
        )

    schema = count_text(json.dumps(response_format, separators=(",", ":")), "gpt-4o-mini")
    assert bound(exact=True) >= (counted + schema) * 1.05 + 16
    assert bound(exact=True) < bound(exact=False)  # the byte bound is the looser one


def test_the_prompt_bound_never_passes_the_context_window(settings):
    settings.LLM_DEFAULT_PRICING = {"input": 1, "cached_input": 1, "output": 1, "context": 2048}
    messages = [{"role": "user", "content": "word " * 10_000}]
    bound = prompt_token_bound(messages, model="local-model", response_format=None, prompt_tokens=1)
    assert bound == 2048


def test_the_worst_case_covers_rounding_of_every_attempt():
    """What an attempt adds to a call's rounded cost never exceeds its reservation."""
    model = "gpt-4o-mini"
    for before in range(0, 3000, 7):
        for prompt, completion in ((1, 1), (333, 17), (1001, 999)):
            added = cost_usd(
                model, prompt_tokens=before + prompt, cached_tokens=0, completion_tokens=completion
            ) - cost_usd(model, prompt_tokens=before, cached_tokens=0, completion_tokens=0)
            assert added <= worst_cost_usd(
                model, prompt_tokens=prompt, completion_tokens=completion
            )


def test_a_free_model_reserves_nothing(settings):
    settings.LLM_DEFAULT_PRICING = {"input": 0, "cached_input": 0, "output": 0, "context": 8192}
    amount = attempt_worst_case(
        MESSAGES, model="llama3.1:8b", response_format=None, max_output_tokens=500, prompt_tokens=9
    )
    assert amount == 0
