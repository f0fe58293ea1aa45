"""Worker process of `weekly.run_jobs`: runs the jobs pickled in a file, pickles the results.

    python -m nba_assets.defs.model.training_worker <jobs.pkl> <results.pkl>

The file holds (target, {job: payload}, shared); each job's result is target(job, payload, shared).
"""

import pickle
import sys
from pathlib import Path

from nba_assets.defs.model.weekly import resolve, single_threaded


def main(given: str, result: str) -> None:
    target, jobs, shared = pickle.loads(Path(given).read_bytes())
    function = resolve(target)
    with single_threaded():
        results = {job: function(job, payload, shared) for job, payload in jobs.items()}
    Path(result).write_bytes(pickle.dumps(results, protocol=pickle.HIGHEST_PROTOCOL))


if __name__ == "__main__":
    main(*sys.argv[1:])
