"""A small PyFlink job that writes sample assessments (tests/assessment_samples.py) to the assessment
store with checkpointing on. Submitted to the standalone cluster by test_assessment_store.py:

    infra/stack.sh flink run -py tests/integration/store_job.py STORE_DIR COUNT DAYS
"""
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the client imports the project too


def main(store: str, count: int, days: int) -> None:
    from pyflink.common import Configuration, Duration, Types
    from pyflink.common.watermark_strategy import TimestampAssigner, WatermarkStrategy
    from pyflink.datastream import CheckpointingMode, StreamExecutionEnvironment
    from pyflink.datastream.connectors.number_seq import NumberSequenceSource

    from jobs.assessment_store import attach_assessment_store
    from tests.assessment_samples import sample_assessment

    class EventTime(TimestampAssigner):
        def extract_timestamp(self, value, record_timestamp):
            return value["event_time_ms"]

    def assessment(i):
        time.sleep(0.01)  # spread the records over several checkpoints
        return sample_assessment(i, count, days)

    env = StreamExecutionEnvironment.get_execution_environment(
        Configuration().set_string("restart-strategy.type", "none"))
    env.enable_checkpointing(500, CheckpointingMode.EXACTLY_ONCE)
    assessments = (
        env.from_source(NumberSequenceSource(0, count - 1), WatermarkStrategy.no_watermarks(), "Indexes")
        .map(assessment, output_type=Types.PICKLED_BYTE_ARRAY())
        .assign_timestamps_and_watermarks(
            WatermarkStrategy.for_bounded_out_of_orderness(Duration.of_millis(0)).with_timestamp_assigner(EventTime()))
    )
    attach_assessment_store(env, assessments, store)
    env.execute("assessment-store-cluster-test")


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]))
