"""YAML schedules read with line numbers; anchors, aliases, tags, non-scalar keys and deep
nesting refused before anything is built."""

from __future__ import annotations

import re
from typing import Any

import yaml

from publisher.core.schedule.base import MAX_DEPTH, TOP_FIELDS, ScheduleProblem, _Record, _Value
from publisher.core.schedule.fields import _duplicate_keys
from publisher.i18n import Msg, msg


def _plain(node: yaml.Node) -> Any:
    """A composed node → nested python values, every scalar as a string with its line.

    The first of two equal keys is kept and the second recorded in ``dupes`` (an error later).
    """
    if isinstance(node, yaml.ScalarNode):
        return _Value(node.value, node.start_mark.line + 1)
    if isinstance(node, yaml.SequenceNode):
        return _Value([_plain(n) for n in node.value], node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        out: dict[str, tuple[int, Any]] = {}
        dupes: list[tuple[str, int, int]] = []
        for k, v in node.value:
            key = str(k.value if isinstance(k, yaml.ScalarNode) else k.start_mark)
            line = k.start_mark.line + 1
            if key in out:
                dupes.append((key, line, out[key][0]))
                continue
            out[key] = (line, _plain(v))
        return _Value(out, node.start_mark.line + 1, tuple(dupes))
    return _Value(None, None)


class _Refused(yaml.YAMLError):
    """YAML we do not compose: an anchor or alias, or nesting deeper than :data:`MAX_DEPTH`."""

    def __init__(self, message: Msg, mark: yaml.Mark) -> None:
        super().__init__(str(message))
        self.message = message
        self.mark = mark


def _tag_as_written(event: yaml.Event) -> str:
    """The explicit tag of ``event`` as the file spells it (``!!binary``, ``!x``, ``!<…>``)."""
    buffer = getattr(event.start_mark, "buffer", None)
    at = int(getattr(event.start_mark, "pointer", 0))
    if isinstance(buffer, str) and buffer.startswith("!<", at):  # a verbatim tag
        return buffer[at : at + 200].partition(">")[0] + ">"
    if isinstance(buffer, str) and buffer.startswith("!", at):
        return re.split(r"[\s,\[\]{}]", buffer[at : at + 200], maxsplit=1)[0]
    tag = str(getattr(event, "tag", ""))
    return "!!" + tag.removeprefix("tag:yaml.org,2002:") if tag.startswith("tag:yaml.org,2002:") else tag


class _Loader(yaml.SafeLoader):
    """Composes only (no implicit typing): dates, numbers and booleans are read by us.

    Anchors and aliases are refused before anything is built: an alias can make a tiny file
    expand to gigabytes ("billion laughs") or refer to itself (``a: &a [*a]``). Nesting is bounded
    so that neither the composer nor :func:`_plain` can run out of stack. An explicit tag
    (``!!binary``, ``!!str``, ``!x``) is refused rather than dropped: ``text: !!binary aGVsbG8=``
    would otherwise publish "aGVsbG8=". A mapping key must be a scalar (a field name).
    """

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node | None:
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None) is not None:
            raise _Refused(msg("sched.yaml_alias"), event.start_mark)
        if getattr(event, "tag", None) is not None:
            raise _Refused(msg("sched.yaml_tag", tag=_tag_as_written(event)), event.start_mark)
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                raise _Refused(msg("sched.too_deep", max=MAX_DEPTH), event.start_mark)
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def compose_mapping_node(self, anchor: Any) -> yaml.MappingNode:
        node = super().compose_mapping_node(anchor)
        for key, _value in node.value:
            if not isinstance(key, yaml.ScalarNode):  # "? [1, 2]" or "{1: 2}: z"
                raise _Refused(msg("sched.yaml_key"), key.start_mark)
        return node


def _records_from_yaml(
    name: str, text: str
) -> tuple[dict[str, tuple[int, Any]], list[_Record], list[ScheduleProblem]]:
    try:
        node = yaml.compose(text, Loader=_Loader)
    except _Refused as exc:
        return {}, [], [ScheduleProblem(name, exc.mark.line + 1, None, None, exc.message)]
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        line = mark.line + 1 if mark is not None else None
        problem = getattr(exc, "problem", None) or str(exc)
        return {}, [], [ScheduleProblem(name, line, None, None, msg("sched.yaml_syntax", error=problem))]
    except Exception as exc:  # the YAML library can raise odd things on hostile input
        return {}, [], [ScheduleProblem(name, None, None, None, msg("sched.yaml_syntax", error=exc))]
    root = _plain(node) if node is not None else _Value(None, 1)
    if not isinstance(root.value, dict):
        return {}, [], [ScheduleProblem(name, root.line, None, None, msg("sched.top_mapping"))]
    problems: list[ScheduleProblem] = []
    top: dict[str, tuple[int, Any]] = root.value
    for key, line, first in _duplicate_keys(root, "", skip=("posts",)):
        problems.append(
            ScheduleProblem(name, line, None, key, msg("sched.duplicate_key", name=key, line=first))
        )
    for key, (line, _v) in top.items():
        if key not in TOP_FIELDS:
            problems.append(
                ScheduleProblem(
                    name, line, None, key, msg("sched.unknown_field", name=key, allowed=", ".join(TOP_FIELDS))
                )
            )
    posts_entry = top.get("posts")
    if posts_entry is None:
        problems.append(ScheduleProblem(name, root.line, None, "posts", msg("sched.no_posts")))
        return top, [], problems
    pline, pval = posts_entry
    if not isinstance(pval.value, list):
        problems.append(ScheduleProblem(name, pline, None, "posts", msg("sched.expected_list")))
        return top, [], problems
    records: list[_Record] = []
    for item in pval.value:
        if not isinstance(item.value, dict):
            problems.append(ScheduleProblem(name, item.line, None, "posts", msg("sched.expected_mapping")))
            continue
        records.append((item.line or pline, item.value, list(_duplicate_keys(item, ""))))
    if not records and not problems:
        problems.append(ScheduleProblem(name, pline, None, "posts", msg("sched.no_posts")))
    return top, records, problems
