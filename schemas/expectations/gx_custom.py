"""The one expectation the data contracts need beyond Great Expectations' own: ISO 6346 container
numbers with a verified check digit (a regex cannot compute it).

Importing this module registers `expect_column_values_to_be_iso6346_container_numbers` with GE,
so suites that use it load and run. A cell is one container number or several separated by single
spaces (the flat views join a record's container list that way); an empty string means none. The
check is transforms.expectations.containers_valid (transforms.codes.container_number_problem, as
the live intake).
"""
from __future__ import annotations

from great_expectations.execution_engine import PandasExecutionEngine
from great_expectations.expectations.expectation import ColumnMapExpectation
from great_expectations.expectations.metrics import ColumnMapMetricProvider, column_condition_partial

from transforms.expectations import containers_valid  # the batch evaluator's rule: one definition


class ColumnValuesIso6346ContainerNumbers(ColumnMapMetricProvider):
    condition_metric_name = "column_values.iso6346_container_numbers"

    @column_condition_partial(engine=PandasExecutionEngine)
    def _pandas(cls, column, **kwargs):
        return column.map(containers_valid)


class ExpectColumnValuesToBeIso6346ContainerNumbers(ColumnMapExpectation):
    """Expect each value to be ISO 6346 container numbers (space-separated) with a valid check digit."""

    map_metric = "column_values.iso6346_container_numbers"
    success_keys = ("mostly",)
