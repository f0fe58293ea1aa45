"""Worker process of `points_model.train_weeks`: trains the weeks pickled in a file, pickles the results.

    python -m nba_assets.defs.model.training_worker <weeks.pkl> <results.pkl>
"""

import pickle
import sys
from pathlib import Path

from nba_assets.defs.model.points_model import _train_single_threaded


def main(given: str, result: str) -> None:
    training = pickle.loads(Path(given).read_bytes())
    trained = {week: _train_single_threaded(rows, week) for week, rows in training.items()}
    Path(result).write_bytes(pickle.dumps(trained, protocol=pickle.HIGHEST_PROTOCOL))


if __name__ == "__main__":
    main(*sys.argv[1:])
