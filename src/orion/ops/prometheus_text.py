"""Prometheus text exposition -> flat samples, using prometheus-client's own parser.

The guard reads the same text a Prometheus server scrapes; parsing it with the library that
wrote it keeps escaping, ``+Inf`` and exemplar rules right without a home-made grammar.
"""

from __future__ import annotations

from dataclasses import dataclass

from prometheus_client.parser import text_string_to_metric_families

Labels = tuple[tuple[str, str], ...]


class MetricsFormatError(ValueError):
    """The endpoint answered, but not with Prometheus text."""


@dataclass(frozen=True, slots=True)
class Sample:
    name: str
    labels: Labels
    value: float

    def label(self, name: str) -> str | None:
        for key, value in self.labels:
            if key == name:
                return value
        return None


def labels_of(mapping: dict[str, str], *, without: tuple[str, ...] = ()) -> Labels:
    """A hashable, order-independent label set (optionally dropping some names, e.g. ``le``)."""
    return tuple(sorted((k, v) for k, v in mapping.items() if k not in without))


def parse_samples(text: str) -> list[Sample]:
    """Every sample in ``text``; raises :class:`MetricsFormatError` on malformed input."""
    try:
        return [
            Sample(sample.name, labels_of(sample.labels), float(sample.value))
            for family in text_string_to_metric_families(text)
            for sample in family.samples
        ]
    except (ValueError, TypeError, IndexError) as exc:
        raise MetricsFormatError(f"not Prometheus text: {exc}") from None
