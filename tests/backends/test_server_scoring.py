"""Scoring requests through the HTTP backend, against the scripted server's toy language model.

The scripted server (openai_server/echo.py) answers `/v1/completions` with `echo` + `logprobs` as
vLLM does (offsets into the prompt string), as llama-cpp-python's server does (special tokens
rendered empty, so offsets do not match the prompt), or not at all as llama-server does (echo
ignored). Its values follow the fake backend's rules: a word seen earlier -0.5, a new one -2.0,
the end token -0.2 after a full stop, so expectations are written by hand.
"""

from __future__ import annotations

import pytest
from openai_server.echo import END
from openai_server.scripted import ScriptedServer, status

from synthgen.backends.base import GenerationRequest, Message, score_request
from synthgen.backends.server import ServerBackend, ServerOptions
from synthgen.backends.server.scoring import NO_ECHO, NO_TEMPLATE, TOP_LOGPROBS
from synthgen.text.likelihood import signal_requests, signals_from

TEMPLATE = (
    "{% for message in messages %}<|im_start|>{{ message['role'] }}\n{{ message['content'] }}<|im_end|>\n"
    "{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)
PROPS = {"chat_template": TEMPLATE, "bos_token": "<|im_start|>", "eos_token": END}
QUESTION = [Message(role="user", content="Name a river in Egypt.")]
RENDERED = "<|im_start|>user\nName a river in Egypt.<|im_end|>\n<|im_start|>assistant\n"


@pytest.fixture(autouse=True)
def _quick_backoff(monkeypatch):
    monkeypatch.setattr("synthgen.backends.server.retry.BACKOFF_BASE", 0.02)


@pytest.fixture
def serve():
    started: list[ScriptedServer] = []

    def start(**options) -> ScriptedServer:
        server = ScriptedServer(**options).start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


def backend(*urls: str, **options) -> ServerBackend:
    return ServerBackend(ServerOptions(base_urls=list(urls), **{"timeout": 2.0, "max_retries": 2, **options}))


@pytest.mark.parametrize("mode", ["echo", "hide-specials"])
def test_a_batch_of_scoring_requests_round_trips_in_order(serve, mode):
    server = serve(props=PROPS, scoring=mode)
    b = backend(server.url, concurrency=3)
    requests = [
        score_request("The Nile is a river.", messages=QUESTION),
        score_request("The Nile is a river", messages=QUESTION),  # cut off: no full stop
        score_request("Bread bread.", messages=QUESTION),  # a word repeating the one before it
        score_request("yes.", prompt="Answer: "),  # " yes" straddles the prompt's trailing space
        score_request("", prompt="Say nothing."),
    ]
    done = b.generate(requests)
    assert all(c.finish_reason == "stop" and c.error is None and c.completion_tokens == 0 for c in done)
    assert [c.text for c in done] == [r.continuation for r in requests]  # request order kept
    assert done[0].token_logprobs == [-2.0, -2.0, -2.0, -0.5, -0.5, -0.5]  # "a", "river", "." are in the prompt
    assert done[0].end_logprob == -0.2 and done[0].prompt_tokens == 14 + 6
    assert done[1].token_logprobs == [-2.0, -2.0, -2.0, -0.5, -0.5] and done[1].end_logprob == -4.0
    assert done[2].token_logprobs == [-2.0, -6.0, -0.5]
    assert done[3].token_logprobs == [-2.0, -2.0] and done[3].end_logprob == -0.2  # [" yes", "."]
    assert done[3].prompt_tokens == 4  # "Answer", ":", " yes", "."
    assert done[4].token_logprobs == [] and done[4].end_logprob == -0.2
    sent = {post.body["prompt"]: post.body for post in server.posts("/v1/completions")}
    first = sent[RENDERED + "The Nile is a river." + END]  # rendered chat + continuation + end of turn
    assert first["echo"] is True and first["logprobs"] == TOP_LOGPROBS and first["max_tokens"] == 1
    assert first["temperature"] == 0.0 and first["model"] == "scripted-model"
    assert "Answer: yes." + END in sent  # a raw prompt ends with the EOS text
    assert b.stats["scoring_requests"] == 5 and b.stats["scored_tokens"] == 6 + 5 + 3 + 2 + 0
    assert b.stats["requests"] == 5 and "retries" not in b.stats


def test_messages_are_rendered_with_a_template_file(serve, tmp_path):
    """No /props: the template comes from --chat-template-from (a Jinja file without EOS text);
    the end-of-turn text is what the template writes after an assistant answer."""
    template = tmp_path / "chatml.jinja"
    template.write_text(TEMPLATE)
    server = serve()
    b = backend(server.url, chat_template_from=template)
    assert b.model_info().eos_token == ""
    [done] = b.generate([score_request("The Nile is a river.", messages=QUESTION)])
    assert done.token_logprobs == [-2.0, -2.0, -2.0, -0.5, -0.5, -0.5] and done.end_logprob == -0.2
    assert server.posts()[-1].body["prompt"] == RENDERED + "The Nile is a river." + END


def test_no_template_makes_a_chat_scoring_request_its_error(serve):
    server = serve()  # no /props, no --chat-template-from
    b = backend(server.url)
    chat, raw = b.generate([score_request("Cairo.", messages=QUESTION), score_request(" Cairo.", prompt="Egypt:")])
    assert (chat.finish_reason, chat.error) == ("error", NO_TEMPLATE)
    assert raw.finish_reason == "stop" and raw.token_logprobs == [-2.0, -2.0] and raw.end_logprob is None  # no EOS
    [post] = server.posts()  # the chat request was never sent
    assert post.body["prompt"] == "Egypt: Cairo."
    assert b.stats["scoring_failed"] == 1 and b.stats["scoring_requests"] == 2


@pytest.mark.parametrize("mode", ["no-echo", "llama-server", "refuse"])
def test_a_server_that_cannot_score_says_so_and_answers_errors(serve, mode):
    server = serve(props=PROPS, scoring=mode)
    b = backend(server.url)
    assert b.can_score() is False
    assert b.can_score() is False and len(server.posts()) == 1  # probed once, remembered
    done = b.generate([score_request("The Nile.", messages=QUESTION), score_request(" yes.", prompt="Answer:")])
    assert [(c.finish_reason, c.error) for c in done] == [("error", NO_ECHO)] * 2
    assert len(server.posts()) == 1  # known unable: nothing more was sent
    assert b.stats["scoring_unsupported"] == 3 and b.stats["scoring_probes"] == 1
    assert "retries" not in b.stats and b.pool.endpoints[0].failures == 0  # not a server failure
    [answer] = b.generate([GenerationRequest(prompt="Name a river:")])
    assert answer.finish_reason in ("stop", "length")  # generation goes on as before


def test_can_score_probes_one_server_once(serve):
    server = serve(props=PROPS)
    b = backend(server.url)
    assert b.can_score() is True and b.can_score() is True
    [probe] = server.posts()
    assert probe.body["echo"] is True and probe.body["prompt"].startswith("<|im_start|>user\nHi<|im_end|>")
    assert b.stats["scoring_probes"] == 1


def test_scoring_requests_avoid_a_server_that_cannot_score(serve):
    able, unable = serve(props=PROPS), serve(props=PROPS, scoring="llama-server")
    b = backend(unable.url, able.url, concurrency=1)
    done = b.generate([score_request(f"River {i}.", messages=QUESTION) for i in range(6)])
    assert all(c.finish_reason == "stop" and c.token_logprobs for c in done)
    assert len(unable.posts()) == 1 and len(able.posts()) == 6  # tried once, then skipped
    assert b.scorable == {unable.url: False, able.url: True} and b.can_score() is True


def test_a_500_then_success_is_retried(serve):
    server = serve(props=PROPS)
    server.script(status(500))
    b = backend(server.url)
    [done] = b.generate([score_request("The Nile is a river.", messages=QUESTION)])
    assert done.finish_reason == "stop" and done.token_logprobs == [-2.0, -2.0, -2.0, -0.5, -0.5, -0.5]
    first, second = server.posts()
    assert (first.answered, second.answered) == (500, 200) and first.body == second.body
    assert b.stats["retries"] == 1 and b.stats["scoring_requests"] == 1 and b.scorable == {server.url: True}


def test_likelihood_signals_through_the_server(serve):
    server = serve(props=PROPS)
    b = backend(server.url)
    on = b.generate(signal_requests(QUESTION, "The river in Egypt is the Nile."))
    off = b.generate(signal_requests(QUESTION, "Bake bread with flour and water"))
    good, bad = signals_from(*on), signals_from(*off)
    assert good is not None and bad is not None
    assert good.relevance > bad.relevance and good.fluency > bad.fluency and good.completeness > bad.completeness
