"""How fast ``cxops fake`` serves the real client: build a synthetic agent, then read it all back.

Run ``python -m bench.fake_throughput [--size S|L]``. The fake and the client share this process
(and its cores), as they do in the test suite and in ``cxops demo``. Human-readable lines come
first; the last line is one JSON object for scripts to collect.
"""

from __future__ import annotations

import os

os.environ.setdefault("GRPC_VERBOSITY", "ERROR")

import argparse
import json
import resource
import sys
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Any

import grpc
from google.cloud import dialogflowcx_v3 as cx

from bench.synthetic import SIZES, Spec, build_agent
from cxops.fake import FakeCX


def _client(cls: Any, channel: grpc.Channel) -> Any:
    return cls(transport=cls.get_transport_class("grpc")(channel=channel))


def read_agent(channel: grpc.Channel, agent: str, *, page_size: int, workers: int) -> dict[str, int]:
    """List every resource of ``agent`` the way a pull does; return how many of each were read."""
    flows_c = _client(cx.FlowsClient, channel)
    pages_c = _client(cx.PagesClient, channel)
    groups_c = _client(cx.TransitionRouteGroupsClient, channel)
    intents_c = _client(cx.IntentsClient, channel)
    entities_c = _client(cx.EntityTypesClient, channel)
    webhooks_c = _client(cx.WebhooksClient, channel)
    tests_c = _client(cx.TestCasesClient, channel)

    def drain(pager: Iterable[Any]) -> list[Any]:
        return list(pager)  # the pager fetches the following pages lazily

    flows = drain(flows_c.list_flows(request=cx.ListFlowsRequest(parent=agent, page_size=page_size)))
    counts: dict[str, int] = {"flows": len(flows)}

    def intents(lang: str) -> tuple[str, list[Any]]:
        request = cx.ListIntentsRequest(
            parent=agent, language_code=lang, intent_view=cx.IntentView.INTENT_VIEW_FULL, page_size=page_size
        )
        return f"intents_{lang}", drain(intents_c.list_intents(request=request))

    def entity_types(lang: str) -> tuple[str, list[Any]]:
        request = cx.ListEntityTypesRequest(parent=agent, language_code=lang, page_size=page_size)
        return f"entity_types_{lang}", drain(entities_c.list_entity_types(request=request))

    def pages(flow: str) -> tuple[str, list[Any]]:
        return "pages", drain(
            pages_c.list_pages(request=cx.ListPagesRequest(parent=flow, page_size=page_size))
        )

    def groups(parent: str) -> tuple[str, list[Any]]:
        kind = "flow_route_groups" if "/flows/" in parent else "agent_route_groups"
        request = cx.ListTransitionRouteGroupsRequest(parent=parent, page_size=page_size)
        return kind, drain(groups_c.list_transition_route_groups(request=request))

    def webhooks() -> tuple[str, list[Any]]:
        request = cx.ListWebhooksRequest(parent=agent, page_size=page_size)
        return "webhooks", drain(webhooks_c.list_webhooks(request=request))

    def test_cases() -> tuple[str, list[Any]]:
        request = cx.ListTestCasesRequest(
            parent=agent, view=cx.ListTestCasesRequest.TestCaseView.FULL, page_size=page_size
        )
        return "test_cases", drain(tests_c.list_test_cases(request=request))

    jobs: list[Callable[[], tuple[str, list[Any]]]] = [
        lambda: intents("en"),
        lambda: intents("ja"),
        lambda: entity_types("en"),
        lambda: entity_types("ja"),
        webhooks,
        test_cases,
        lambda: groups(agent),
    ]
    for f in flows:
        name = str(f.name)
        jobs += [partial(pages, name), partial(groups, name)]
    with ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="bench-read") as pool:
        for kind, items in pool.map(lambda job: job(), jobs):
            counts[kind] = counts.get(kind, 0) + len(items)
            if kind == "intents_ja":
                counts["training_phrases_ja"] = sum(len(i.training_phrases) for i in items)
            if kind == "entity_types_ja":
                counts["entity_entries_ja"] = sum(len(e.entities) for e in items)
    return counts


def expected_counts(spec: Spec) -> dict[str, int]:
    """What ``read_agent`` must find in a fresh agent built from ``spec``."""
    return {
        "flows": spec.flows + 1,  # + Default Start Flow
        "pages": spec.flows * spec.pages_per_flow,
        "intents_en": spec.intents + 2,  # + Default Welcome / Negative Intent
        "intents_ja": spec.intents + 2,
        "training_phrases_ja": spec.intents * spec.phrases_per_intent,
        "entity_types_en": spec.entity_types,
        "entity_types_ja": spec.entity_types,
        "entity_entries_ja": spec.entity_types * spec.entries_per_entity_type,
        "agent_route_groups": spec.agent_route_groups,
        "flow_route_groups": spec.flow_route_groups,
        "webhooks": spec.webhooks,
        "test_cases": spec.test_cases,
    }


def peak_rss_mb() -> float:
    # ru_maxrss is in KiB on Linux and in bytes on macOS.
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.fake_throughput", description=__doc__)
    parser.add_argument("--size", choices=sorted(SIZES), default="L", type=str.upper)
    parser.add_argument("--workers", type=int, default=8, help="client threads for builds and reads (8)")
    parser.add_argument("--page-size", type=int, default=1000, help="page_size of every List call (1000)")
    parser.add_argument("--seed", type=int, default=1, help="seed of the fake's ids (1)")
    args = parser.parse_args(argv)
    spec = SIZES[args.size]

    with FakeCX(seed=args.seed) as fake:
        # As the library's own channels do: a page of 1,000 intents with 50 phrases each is
        # larger than gRPC's default 4 MiB receive limit.
        channel = grpc.insecure_channel(fake.address, options=[("grpc.max_receive_message_length", -1)])
        print(
            f"fake_throughput: size {args.size}, {args.workers} workers, {os.cpu_count()} CPUs, {fake.address}"
        )

        def stage(name: str, seconds: float) -> None:
            print(f"  build {name:<20} {seconds:8.2f} s")

        started = time.perf_counter()
        agent = build_agent(
            channel, spec, display_name=f"cxops bench {args.size}", workers=args.workers, progress=stage
        )
        build_seconds = time.perf_counter() - started
        build_rpcs, build_writes = sum(fake.calls.values()), fake.write_count()
        print(f"built {agent}: {build_rpcs} RPCs ({build_writes} writes) in {build_seconds:.2f} s")

        started = time.perf_counter()
        counts = read_agent(channel, agent, page_size=args.page_size, workers=args.workers)
        read_seconds = time.perf_counter() - started
        read_rpcs = sum(fake.calls.values()) - build_rpcs
        print(f"read back: {read_rpcs} RPCs in {read_seconds:.2f} s")
        channel.close()

    expected = expected_counts(spec)
    wrong = {k: (counts.get(k), v) for k, v in expected.items() if counts.get(k) != v}
    for kind, n in sorted(counts.items()):
        print(f"  {kind:<22} {n:>8}" + (f"   expected {expected[kind]}" if kind in wrong else ""))
    result = {
        "bench": "fake_throughput",
        "size": args.size,
        "workers": args.workers,
        "page_size": args.page_size,
        "cpus": os.cpu_count(),
        "build_seconds": round(build_seconds, 3),
        "build_rpcs": build_rpcs,
        "build_writes": build_writes,
        "rpcs_per_second": round(build_rpcs / build_seconds, 1),
        "read_seconds": round(read_seconds, 3),
        "read_rpcs": read_rpcs,
        "read_rpcs_per_second": round(read_rpcs / read_seconds, 1),
        "resources_read": sum(
            v for k, v in counts.items() if k not in ("training_phrases_ja", "entity_entries_ja")
        ),
        "peak_rss_mb": round(peak_rss_mb(), 1),
        "counts_ok": not wrong,
    }
    print(json.dumps(result))
    return 0 if not wrong else 1


if __name__ == "__main__":
    raise SystemExit(main())
