from nba_assets.lib.identity import player_lookup


def test_player_lookup_normalizes_like_the_seed_system():
    assert player_lookup("Nikola Jokić") == "nikolajokic"
    assert player_lookup("Shai Gilgeous-Alexander") == "shaigilgeousalexander"
    assert player_lookup("De'Aaron Fox") == "deaaronfox"
    assert player_lookup("Gary Trent Jr.") == "garytrentjr"
    assert player_lookup("Luka Dončić") == player_lookup("Luka Doncic")
