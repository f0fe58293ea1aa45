"""`make recover [RUN=<run id>]`: closes runs that no process will finish, and frees their slots.

Without RUN: closes the runs whose process is gone or silent past its heartbeat timeout (as every
`make replay` and the daemon's `recover_dead_runs` sensor do), frees slots of runs that ended, and lists the runs still
in flight with their owner and the pool slots they hold. With RUN: closes that run (FAILURE) and
frees its slots — for a run without a recorded owner (killed before it opened the warehouse, or
started by another tool) that nothing executes any more. A run whose owner keeps its heartbeat is
refused: stop it where it runs (Ctrl-C) or terminate it in the UI.
"""

import argparse
import os
import sys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", help="id of a run to close by hand")
    args = parser.parse_args(argv)

    from dagster import DagsterInstance, RunsFilter

    from nba_assets.defs.operations.recovery import (
        IN_FLIGHT,
        close_dead_runs,
        close_run,
        describe_holder,
        free_slots_of_ended_runs,
    )
    from resources.instance.run_owner import fence, owners_of

    instance = DagsterInstance.get()
    for line in close_dead_runs(instance, f"make recover (process {os.getpid()})") + free_slots_of_ended_runs(instance):
        print(f"[recover] {line}")
    if args.run:
        run = instance.get_run_by_id(args.run)
        if run is None:
            instance.event_log_storage.free_concurrency_slots_for_run(args.run)
            print(f"[recover] run {args.run} is not in the instance; any slot it held is freed")
        elif run.is_finished:
            instance.event_log_storage.free_concurrency_slots_for_run(run.run_id)
            print(f"[recover] run {run.run_id} already ended ({run.status.value}); its slots are freed")
        else:
            owner = owners_of(instance, [run.run_id]).get(run.run_id)
            if owner is not None and owner.dead_because() is None:
                print(
                    f"[recover] run {run.run_id} is executed by {owner.describe()}: not closed. "
                    "Stop it where it runs (Ctrl-C) or terminate it in the UI.",
                    file=sys.stderr,
                )
                return 1
            fence(instance, run.run_id, f"make recover RUN={run.run_id}")
            close_run(
                instance,
                run,
                f"Closed by hand with `make recover RUN={run.run_id}` "
                f"(process {os.getpid()}): no process was executing it.",
            )
            print(
                f"[recover] run {run.run_id} closed ({instance.get_run_by_id(run.run_id).status.value}); "
                "its slots are freed"
            )
    in_flight = instance.get_runs(filters=RunsFilter(statuses=IN_FLIGHT))
    for run in in_flight:
        print(f"[recover] in flight: {describe_holder(instance, run.run_id)}")
    if not in_flight:
        print("[recover] no run in flight")
    return 0


if __name__ == "__main__":
    sys.exit(main())
