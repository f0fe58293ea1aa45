"""P(double-double) and P(triple-double) from a system's points, rebounds and assists distributions
joined by a Gaussian copula whose correlation comes from the player's own earlier games
(docs/markets.md, "Double-double and triple-double").

The probability. A system already gives each player and date a predictive distribution of his
points, rebounds and assists (probability.py). Of each only one number matters here: p_i =
P(X_i >= 10). The copula writes X_i = F_i^-1(Phi(Z_i)) with (Z_1, Z_2, Z_3) standard normal with
correlation matrix R, so X_i >= 10 exactly when Z_i > u_i = Phi^-1(1 - p_i), even for discrete
X_i (the discretised copula's event is a half-line of Z_i). Then, exactly,
    P(A and B) = P(Z_a > u_a, Z_b > u_b)              (bivariate normal, Owen's T: closed form)
    P(A and B and C) = P(Z > u)                        (trivariate: a Gauss-Legendre integral over
                                                        z1 of bivariate ones, error < 1e-9)
    P(double-double) = P(AB) + P(AC) + P(BC) - 2 P(ABC)   (at least two of three)
    P(triple-double) = P(ABC).
Deterministic: no Monte Carlo. Steals and blocks count in the grading (the official five
categories) but not here: 10 steals or 10 blocks in a game is a handful of games a season league
wide, far below the prices' resolution.

The correlation. R of the player on date D: Pearson correlations of the normal scores
(Phi^-1(rank / (n + 1)), ties at their average rank) of his points, rebounds and assists over his
last CORRELATION_GAMES played games strictly before D (within HISTORY_DAYS), shrunk toward the
league's on that date: R = (n R_player + PRIOR_GAMES R_league) / (n + PRIOR_GAMES). R_league: the
same correlations of normal scores taken within each player, pooled over every player's games of
the LEAGUE_DATES game dates before D (players with at least MIN_PLAYER_GAMES games there). A
player with fewer than MIN_PLAYER_GAMES earlier games, or one stat constant over them, gets
R_league. A convex mixture of two correlation matrices is one: R is always valid. Games of D or
later are never read (`correlations` slices strictly before D; tested with a planted same-day game).
"""

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import pandas as pd

STATS = ("points", "rebounds", "assists")
CORRELATION_GAMES = 40
PRIOR_GAMES = 20
MIN_PLAYER_GAMES = 5
LEAGUE_DATES = 60
HISTORY_DAYS = 400  # as the features' history (macros/features.sql)
HISTORY = np.timedelta64(HISTORY_DAYS, "D")
# Gauss-Legendre nodes of the trivariate integral over z1 in (a, TAIL): the error against the
# exact orthant formula is below 1e-9 (tests/test_yes_no.py).
NODES = 96
TAIL = 9.0
PERFECT = 1.0 - 1e-12

PAIRS = ((0, 1), (0, 2), (1, 2))  # (points, rebounds), (points, assists), (rebounds, assists)


# --- the normal distributions ---------------------------------------------------------------------


def bivariate_cdf(h, k, rho) -> np.ndarray:
    """P(Z1 <= h, Z2 <= k) of standard normals with correlation rho, by Owen's T function
    (Owen 1956): exact to the special functions' precision, vectorized."""
    from scipy.special import ndtr, owens_t

    h, k, rho = np.broadcast_arrays(*(np.asarray(x, dtype=float) for x in (h, k, rho)))
    # Owen's identity divides by h and k: a zero is moved by 1e-12 (an error of ~1e-13).
    h = np.where(h == 0, 1e-12, h)
    k = np.where(k == 0, 1e-12, k)
    inner = np.clip(rho, -PERFECT, PERFECT)
    root = np.sqrt(1 - inner**2)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        a_h = (k - inner * h) / (h * root)
        a_k = (h - inner * k) / (k * root)
    beta = np.where(h * k > 0, 0.0, 0.5)
    general = 0.5 * ndtr(h) + 0.5 * ndtr(k) - owens_t(h, a_h) - owens_t(k, a_k) - beta
    comonotone = ndtr(np.minimum(h, k))
    countermonotone = np.maximum(ndtr(h) + ndtr(k) - 1.0, 0.0)
    out = np.where(rho >= PERFECT, comonotone, np.where(rho <= -PERFECT, countermonotone, general))
    return np.clip(out, 0.0, 1.0)


def bivariate_upper(a, b, rho) -> np.ndarray:
    """P(Z1 > a, Z2 > b) (by symmetry, the CDF at -a, -b)."""
    return bivariate_cdf(-np.asarray(a, dtype=float), -np.asarray(b, dtype=float), rho)


def trivariate_upper(a, b, c, r12, r13, r23, nodes: int = NODES) -> np.ndarray:
    """P(Z1 > a, Z2 > b, Z3 > c) of standard normals with these correlations: the integral over
    z1 in (a, TAIL) of phi(z1) P(Z2 > b, Z3 > c | Z1 = z1), a bivariate normal's (conditional means
    r12 z1, r13 z1; variances 1 - r^2; correlation (r23 - r12 r13) / (s2 s3)), by Gauss-Legendre
    (below -TAIL or above TAIL phi's mass is < 1e-18). A pair perfectly correlated is one variable:
    the bivariate probability at the larger threshold."""
    a, b, c, r12, r13, r23 = np.broadcast_arrays(*(np.asarray(x, dtype=float) for x in (a, b, c, r12, r13, r23)))
    x, w = np.polynomial.legendre.leggauss(nodes)
    low = np.clip(a, -TAIL, TAIL)[..., None]
    half = (TAIL - low) / 2
    z = low + half * (x + 1)  # the nodes on (a, TAIL)
    q12, q13 = np.clip(r12, -PERFECT, PERFECT), np.clip(r13, -PERFECT, PERFECT)
    s2, s3 = np.sqrt(1 - q12**2), np.sqrt(1 - q13**2)
    conditional = np.clip((r23 - q12 * q13) / (s2 * s3), -1.0, 1.0)
    inner = bivariate_upper(
        (b[..., None] - q12[..., None] * z) / s2[..., None],
        (c[..., None] - q13[..., None] * z) / s3[..., None],
        conditional[..., None],
    )
    density = np.exp(-0.5 * z * z) / np.sqrt(2 * np.pi)
    general = half[..., 0] * ((density * inner) @ w)
    out = np.where(
        r12 >= PERFECT,
        bivariate_upper(np.maximum(a, b), c, r13),
        np.where(
            r13 >= PERFECT,
            bivariate_upper(np.maximum(a, c), b, r12),
            np.where(r23 >= PERFECT, bivariate_upper(a, np.maximum(b, c), r12), general),
        ),
    )
    return np.clip(out, 0.0, 1.0)


# --- P(yes) -----------------------------------------------------------------------------------------


def yes_probabilities(p_tail, correlation) -> tuple[np.ndarray, np.ndarray]:
    """(P(double-double), P(triple-double)) per row. `p_tail`: (n, 3) P(X >= 10) of points,
    rebounds, assists; `correlation`: (n, 3) the copula's correlations of the PAIRS."""
    from scipy.special import ndtri

    p = np.clip(np.asarray(p_tail, dtype=float), 0.0, 1.0)
    r = np.asarray(correlation, dtype=float)
    u = ndtri(1 - p)  # the thresholds of Z (+inf when p = 0, -inf when p = 1)
    u = np.clip(u, -40.0, 40.0)  # Owen's T at infinity: the same probabilities, finite arithmetic
    pair = [bivariate_upper(u[:, i], u[:, j], r[:, n]) for n, (i, j) in enumerate(PAIRS)]
    triple = trivariate_upper(u[:, 0], u[:, 1], u[:, 2], r[:, 0], r[:, 1], r[:, 2])
    # Each pair's probability is at least the triple's (rounding in the integral aside).
    pair = [np.maximum(q, triple) for q in pair]
    double = np.clip(pair[0] + pair[1] + pair[2] - 2 * triple, 0.0, 1.0)
    return double, triple


# --- the correlation ---------------------------------------------------------------------------------


def normal_scores(values: np.ndarray) -> np.ndarray:
    """Phi^-1(rank / (n + 1)) of each column (ties at their average rank)."""
    values = np.asarray(values, dtype=float)
    one_group = np.zeros(len(values), dtype=int)
    return np.column_stack([ndtri_ranks(one_group, column, len(values)) for column in values.T])


def pair_correlations(scores: np.ndarray) -> np.ndarray | None:
    """The PAIRS' Pearson correlations of a (n, 3) array; None when a column is constant."""
    centered = scores - scores.mean(axis=0)
    norms = np.sqrt((centered**2).sum(axis=0))
    if (norms == 0).any():
        return None
    unit = centered / norms
    return np.array([unit[:, i] @ unit[:, j] for i, j in PAIRS])


def league_correlation(games: "pd.DataFrame") -> np.ndarray:
    """The PAIRS' correlations of normal scores taken within each player, pooled over players
    with at least MIN_PLAYER_GAMES games (games: player_lookup and STATS); zeros when none."""
    import pandas as pd

    codes, _ = pd.factorize(games["player_lookup"])
    return _league_correlation(codes, games[list(STATS)].to_numpy(float))


def _league_correlation(codes: np.ndarray, values: np.ndarray) -> np.ndarray:
    """league_correlation of rows given as player codes (ints) and their (n, 3) STATS, every
    player's normal scores at once (a season calls it on ~340 dates of ~14,000 rows)."""
    if not len(codes):
        return np.zeros(3)
    _, codes, sizes = np.unique(codes, return_inverse=True, return_counts=True)
    kept = sizes[codes] >= MIN_PLAYER_GAMES
    if not kept.any():
        return np.zeros(3)
    codes, values = codes[kept], values[kept]
    scores = np.column_stack([ndtri_ranks(codes, column, sizes[codes]) for column in values.T])
    pooled = pair_correlations(scores)
    return pooled if pooled is not None else np.zeros(3)


def ndtri_ranks(groups: np.ndarray, x: np.ndarray, group_sizes: np.ndarray) -> np.ndarray:
    """normal_scores of one column taken within each group: Phi^-1(rank / (n + 1)), the rank
    within the row's group (ties at their average rank), n its group's size."""
    from scipy.special import ndtri

    order = np.lexsort((x, groups))
    g, v = groups[order], x[order]
    new_group = np.r_[True, g[1:] != g[:-1]]
    first = new_group | np.r_[True, v[1:] != v[:-1]]  # a new tie run
    positions = np.arange(len(x))
    group_start = np.maximum.accumulate(np.where(new_group, positions, 0))
    starts = np.flatnonzero(first)
    ends = np.r_[starts[1:], len(x)]
    run = np.cumsum(first) - 1
    ranks = np.empty(len(x))
    ranks[order] = (starts + ends + 1)[run] / 2.0 - group_start
    return ndtri(ranks / (group_sizes + 1))


def shrunk(player: np.ndarray | None, n: int, league: np.ndarray) -> np.ndarray:
    """(n R_player + PRIOR_GAMES R_league) / (n + PRIOR_GAMES); R_league without a usable player estimate."""
    if player is None or n < MIN_PLAYER_GAMES:
        return league.copy()
    return (n * player + PRIOR_GAMES * league) / (n + PRIOR_GAMES)


def correlations(games: "pd.DataFrame", targets: "pd.DataFrame") -> "pd.DataFrame":
    """Per target (game_date, player_lookup): the copula's correlations `r_pts_reb`, `r_pts_ast`,
    `r_reb_ast`, the player's games used (`correlation_games`) and the latest of them
    (`last_correlation_game_date`, always before game_date). `games`: played games (game_date,
    player_lookup, STATS), any dates: only those strictly before each target's date are read."""
    import pandas as pd

    columns = ["r_pts_reb", "r_pts_ast", "r_reb_ast"]
    out = targets[["game_date", "player_lookup"]].drop_duplicates().reset_index(drop=True)
    if out.empty:
        return out.assign(**{c: [] for c in columns}, correlation_games=[], last_correlation_game_date=[])
    games = games.sort_values(["game_date", "player_lookup"], kind="mergesort").reset_index(drop=True)
    game_dates = games["game_date"].to_numpy("datetime64[ns]")
    codes, players = pd.factorize(games["player_lookup"])
    stats = games[list(STATS)].to_numpy(float)
    distinct = np.unique(game_dates)
    # Each player's games in date order (the sort above is stable): his rows' positions in `games`.
    rows_of = dict(zip(players, np.split(np.argsort(codes, kind="stable"), np.cumsum(np.bincount(codes))[:-1])))
    values, used, last = np.zeros((len(out), 3)), np.zeros(len(out), dtype=int), [pd.NaT] * len(out)
    for day, rows in out.groupby("game_date", sort=True):
        day = np.datetime64(day, "ns")
        before = np.searchsorted(distinct, day, side="left")  # dates strictly before the day
        low = distinct[max(0, before - LEAGUE_DATES)] if before else day
        first, stop = np.searchsorted(game_dates, [low, day], side="left")  # games are in date order
        league = _league_correlation(codes[first:stop], stats[first:stop])
        for index, player in zip(rows.index, rows["player_lookup"]):
            own_rows = rows_of.get(player, np.zeros(0, dtype=int))
            dates = game_dates[own_rows]
            end = np.searchsorted(dates, day, side="left")
            begin = max(end - CORRELATION_GAMES, np.searchsorted(dates, day - HISTORY, side="left"))
            earlier = own_rows[begin:end]
            n = len(earlier)
            own = pair_correlations(normal_scores(stats[earlier])) if n >= 2 else None
            values[index] = shrunk(own, n, league)
            used[index] = n
            last[index] = game_dates[earlier[-1]] if n else pd.NaT
    return out.assign(
        **{c: values[:, i] for i, c in enumerate(columns)},
        correlation_games=used,
        last_correlation_game_date=pd.to_datetime(pd.Series(last, dtype="datetime64[ns]")),
    )
