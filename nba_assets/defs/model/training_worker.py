"""Worker process of `weekly.WorkerPool`: imports the target's module, then runs the jobs of the
file named on its stdin and pickles the results to the file named next.

    python -m nba_assets.defs.model.training_worker <package.module:function>
    stdin: <jobs.pkl>\n<results.pkl>\n   (nothing: the pool closed without work; exit)

The jobs file holds ({job: payload}, shared); each job's result is target(job, payload, shared).
The imports come first so that they overlap the caller's own work before it knows the jobs.
"""

import pickle
import sys
from pathlib import Path

from nba_assets.defs.model.weekly import resolve, single_threaded


def main(target: str) -> None:
    function = resolve(target)
    with single_threaded():
        given, result = sys.stdin.readline().strip(), sys.stdin.readline().strip()
        if not given:
            return
        jobs, shared = pickle.loads(Path(given).read_bytes())
        results = {job: function(job, payload, shared) for job, payload in jobs.items()}
    Path(result).write_bytes(pickle.dumps(results, protocol=pickle.HIGHEST_PROTOCOL))


if __name__ == "__main__":
    main(*sys.argv[1:])
