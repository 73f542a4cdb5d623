"""The HParams plugin's protos for a study: hyperparameter domains, metrics and sessions.

One session per trial (its own group, so TensorBoard lists every trial), started with the
trial's parameters and ended with its state. A parameter's domain comes from its
distribution: float and int ranges are intervals, categorical choices a discrete set.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

from google.protobuf import struct_pb2
from tensorboard.compat.proto import summary_pb2
from tensorboard.plugins.hparams import api_pb2, metadata, plugin_data_pb2

from tftune.distributions import (
    BaseDistribution,
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
)
from tftune.trial import TrialState

#: TensorBoard has no 'pruned' status: a pruned trial ended on purpose, neither succeeded nor
#: failed, so it shows as 'unknown' (filter it with the status checkboxes).
STATUS_OF_STATE = {
    TrialState.COMPLETE: api_pb2.STATUS_SUCCESS,
    TrialState.PRUNED: api_pb2.STATUS_UNKNOWN,
    TrialState.FAIL: api_pb2.STATUS_FAILURE,
}


def _choice_type(choices: Iterable[Any]) -> int:
    """The one data type of a categorical's choices; mixed choices (or None) read as strings."""
    choices = list(choices)
    if all(isinstance(c, bool) for c in choices):
        return int(api_pb2.DATA_TYPE_BOOL)
    if all(isinstance(c, (int, float)) and not isinstance(c, bool) for c in choices):
        return int(api_pb2.DATA_TYPE_FLOAT64)
    return int(api_pb2.DATA_TYPE_STRING)


def _value(value: Any, data_type: int) -> struct_pb2.Value:
    if data_type == api_pb2.DATA_TYPE_BOOL:
        return struct_pb2.Value(bool_value=bool(value))
    if data_type == api_pb2.DATA_TYPE_FLOAT64:
        return struct_pb2.Value(number_value=float(value))
    return struct_pb2.Value(string_value=value if isinstance(value, str) else repr(value))


def hparam_info(name: str, distribution: BaseDistribution) -> api_pb2.HParamInfo:
    """The domain of one parameter, from its distribution."""
    info = api_pb2.HParamInfo(name=name)
    if isinstance(distribution, (FloatDistribution, IntDistribution)):
        info.type = api_pb2.DATA_TYPE_FLOAT64
        info.domain_interval.min_value = float(distribution.low)
        info.domain_interval.max_value = float(distribution.high)
    elif isinstance(distribution, CategoricalDistribution):
        info.type = _choice_type(distribution.choices)
        info.domain_discrete.values.extend(
            _value(choice, info.type) for choice in distribution.choices
        )
    else:  # a distribution of another kind: its values as they come
        info.type = api_pb2.DATA_TYPE_STRING
    return info


def hparam_value(value: Any, distribution: BaseDistribution | None) -> struct_pb2.Value:
    """A parameter value as its domain holds it (a mixed categorical's choices as strings)."""
    if isinstance(distribution, CategoricalDistribution):
        return _value(value, _choice_type(distribution.choices))
    if isinstance(value, bool):
        return _value(value, api_pb2.DATA_TYPE_BOOL)
    if isinstance(value, (int, float)):
        return _value(value, api_pb2.DATA_TYPE_FLOAT64)
    return _value(value, api_pb2.DATA_TYPE_STRING)


def merge_hparam_infos(
    first: api_pb2.HParamInfo, second: api_pb2.HParamInfo
) -> api_pb2.HParamInfo:
    """One domain covering both (a range that moved between trials, or two studies' domains):
    intervals join, discrete sets unite; domains of different kinds leave no domain."""
    merged = api_pb2.HParamInfo(name=first.name, type=first.type)
    if first.type != second.type:
        merged.type = api_pb2.DATA_TYPE_STRING
    elif first.HasField("domain_interval") and second.HasField("domain_interval"):
        merged.domain_interval.min_value = min(
            first.domain_interval.min_value, second.domain_interval.min_value
        )
        merged.domain_interval.max_value = max(
            first.domain_interval.max_value, second.domain_interval.max_value
        )
    elif first.HasField("domain_discrete") and second.HasField("domain_discrete"):
        values = list(first.domain_discrete.values)
        values += [v for v in second.domain_discrete.values if v not in values]
        merged.domain_discrete.values.extend(values)
    return merged


def metric_info(name: str, objective: str, direction: str) -> api_pb2.MetricInfo:
    """A per-epoch metric of the training logs, as a session metric (its last value)."""
    info = api_pb2.MetricInfo(
        name=api_pb2.MetricName(tag=name),
        display_name=name,
        dataset_type=(
            api_pb2.DATASET_VALIDATION if name.startswith("val_") else api_pb2.DATASET_TRAINING
        ),
    )
    if name == objective:
        info.description = f"The study's objective ({direction})."
    return info


def merge_experiments(experiments: Iterable[api_pb2.Experiment]) -> api_pb2.Experiment:
    """One experiment listing every parameter and metric of the given ones (their domains
    merged), for TensorBoard, which reads one experiment per log directory."""
    hparams: dict[str, api_pb2.HParamInfo] = {}
    metrics: dict[tuple[str, str], api_pb2.MetricInfo] = {}
    created = math.inf
    for experiment in experiments:
        created = min(created, experiment.time_created_secs or math.inf)
        for info in experiment.hparam_infos:
            known = hparams.get(info.name)
            hparams[info.name] = info if known is None else merge_hparam_infos(known, info)
        for metric in experiment.metric_infos:
            metrics.setdefault((metric.name.group, metric.name.tag), metric)
    merged = api_pb2.Experiment(
        hparam_infos=[hparams[name] for name in sorted(hparams)],
        metric_infos=[metrics[key] for key in sorted(metrics)],
    )
    if math.isfinite(created):
        merged.time_created_secs = created
    return merged


def _summary(tag: str, data: plugin_data_pb2.HParamsPluginData) -> summary_pb2.Summary:
    return summary_pb2.Summary(
        value=[
            summary_pb2.Summary.Value(
                tag=tag,
                metadata=metadata.create_summary_metadata(data),
                tensor=metadata.NULL_TENSOR,
            )
        ]
    )


def experiment_summary(experiment: api_pb2.Experiment) -> summary_pb2.Summary:
    return _summary(
        metadata.EXPERIMENT_TAG, plugin_data_pb2.HParamsPluginData(experiment=experiment)
    )


def session_start_summary(
    group_name: str,
    params: Mapping[str, Any],
    distributions: Mapping[str, BaseDistribution],
    start_time: float,
) -> summary_pb2.Summary:
    info = plugin_data_pb2.SessionStartInfo(group_name=group_name, start_time_secs=start_time)
    for name, value in params.items():
        info.hparams[name].CopyFrom(hparam_value(value, distributions.get(name)))
    return _summary(
        metadata.SESSION_START_INFO_TAG,
        plugin_data_pb2.HParamsPluginData(session_start_info=info),
    )


def session_end_summary(state: TrialState, end_time: float) -> summary_pb2.Summary:
    info = plugin_data_pb2.SessionEndInfo(
        status=STATUS_OF_STATE.get(state, api_pb2.STATUS_UNKNOWN), end_time_secs=end_time
    )
    return _summary(
        metadata.SESSION_END_INFO_TAG, plugin_data_pb2.HParamsPluginData(session_end_info=info)
    )


def scalar_summary(values: Mapping[str, float]) -> summary_pb2.Summary:
    """One epoch's metrics as TensorBoard scalars (tag = the metric's name in the logs)."""
    return summary_pb2.Summary(
        value=[
            summary_pb2.Summary.Value(tag=name, simple_value=float(value))
            for name, value in values.items()
        ]
    )
