"""Prometheus metrics of forwarding (issue 12): read from the database when /metrics is scraped.

A rule's state (pending, in flight, delivered, dead, oldest pending) lives in the database and is
shared by every forwarder process and every LRS worker, so the LRS's /metrics reads it there at
scrape time (a custom collector) instead of each forwarder counting on its own: the figures are
exact whichever worker answers, need no push gateway nor a port per forwarder, and survive
forwarder restarts. `lrs_forward_delivered_total` is the count the store keeps per rule.
"""
import logging

log = logging.getLogger("lrs.forwarding.metrics")

_GAUGES = (
    ("lrs_forward_pending", "Statements waiting to be forwarded, not leased now", lambda s: s.counts.pending),
    ("lrs_forward_in_flight", "Statements leased by a forwarder now", lambda s: s.counts.in_flight),
    ("lrs_forward_dead", "Dead letters: statements the target refused or that were given up on",
     lambda s: s.counts.dead),
    ("lrs_forward_oldest_pending_age_seconds", "Age of the oldest statement not yet delivered (0: none)",
     lambda s: (s.oldest_pending_age_ms or 0) / 1000.0),
    ("lrs_forward_active", "1 when the rule delivers, 0 when paused", lambda s: 1 if s.rule.active else 0),
)


class ForwardingCollector:
    """prometheus_client collector over ForwardingService.states(); labels store, rule, target."""

    def __init__(self, forwarding):
        self.forwarding = forwarding

    def describe(self):
        return []                      # not known before the database is read: collect at scrape only

    def collect(self):
        from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
        try:
            states = self.forwarding.states()
        except Exception as error:      # a scrape must still answer when the database does not
            log.warning("forwarding metrics unavailable: %s: %s", type(error).__name__, str(error)[:300])
            return
        labels = ["store", "rule", "target"]
        delivered = CounterMetricFamily("lrs_forward_delivered", "Statements delivered to the rule's target",
                                        labels=labels)
        families = [GaugeMetricFamily(name, text, labels=labels) for name, text, _ in _GAUGES]
        for state in states:
            values = [state.source, state.rule.name, state.target]
            delivered.add_metric(values, state.counts.delivered)
            for family, (_, _, read) in zip(families, _GAUGES):
                family.add_metric(values, read(state))
        yield delivered
        yield from families


def forwarding_metrics_text(forwarding):
    """The forwarding metrics in Prometheus text format."""
    from prometheus_client import CollectorRegistry, generate_latest
    registry = CollectorRegistry(auto_describe=False)
    registry.register(ForwardingCollector(forwarding))
    return generate_latest(registry)
