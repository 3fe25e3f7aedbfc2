"""Prometheus metrics with the names and buckets of packages/core/src/metrics.ts.

Each worker process keeps its own registry, as each Node cluster worker does: with WORKERS > 1 a
scrape sees the worker that answered it.
"""
from __future__ import annotations

from typing import Any, Callable, Dict, Iterator, Tuple

import prometheus_client
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily

if hasattr(prometheus_client, 'disable_created_metrics'):
    prometheus_client.disable_created_metrics()

BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5)
BATCH_BUCKETS = tuple(float(2**i) for i in range(13))


class _Gauges:
    """Values read at scrape time, so the hot path only bumps a plain int."""

    def __init__(self, hello: Callable[[], int], queue_depth: Callable[[], int]) -> None:
        self._hello = hello
        self._queue_depth = queue_depth

    def collect(self) -> Iterator[GaugeMetricFamily]:
        yield GaugeMetricFamily('servebench_hello_world_total', 'hello_world requests served', value=self._hello())
        yield GaugeMetricFamily('servebench_queue_depth', 'Requests running or waiting for the backend', value=self._queue_depth())


class Metrics:
    def __init__(self, queue_depth: Callable[[], int]) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        # The default process, platform and GC collectors, as prom-client's collectDefaultMetrics.
        prometheus_client.ProcessCollector(registry=self.registry)
        prometheus_client.PlatformCollector(registry=self.registry)
        prometheus_client.GCCollector(registry=self.registry)
        self.hello_count = 0
        self._requests = Counter('servebench_requests', 'Requests by route and status', ['route', 'status'], registry=self.registry)
        self._duration = Histogram(
            'servebench_request_duration_seconds', 'Handler time for tokenize and predict', ['route'], buckets=BUCKETS, registry=self.registry
        )
        # One observation per model call, so a runner can diff the histograms around a cell (same name and
        # buckets as the Node stacks: exponentialBuckets(1, 2, 13)).
        self._batch_size = Histogram(
            'servebench_batch_size',
            'Sequences per backend call (1 per request when dynamic batching is off)',
            buckets=BATCH_BUCKETS,
            registry=self.registry,
        )
        self.registry.register(_Gauges(lambda: self.hello_count, queue_depth))
        self._request_children: Dict[Tuple[str, int], Any] = {}
        self._duration_children: Dict[str, Any] = {}

    def hello(self) -> None:
        self.hello_count += 1

    def observe(self, route: str, status: int, seconds: float) -> None:
        # labels() parses its arguments on every call; the children are cached instead.
        key = (route, status)
        child = self._request_children.get(key)
        if child is None:
            child = self._request_children[key] = self._requests.labels(route, str(status))
        child.inc()
        if status < 400:
            hist = self._duration_children.get(route)
            if hist is None:
                hist = self._duration_children[route] = self._duration.labels(route)
            hist.observe(seconds)

    def batch(self, size: int) -> None:
        self._batch_size.observe(size)

    def text(self) -> Tuple[str, bytes]:
        return prometheus_client.CONTENT_TYPE_LATEST, generate_latest(self.registry)
