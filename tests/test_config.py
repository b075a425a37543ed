import pytest

from writer_app.config import AppPaths, EngineSettings, Settings, load_settings, physical_cores, save_settings
from writer_app.errors import WriterAppError


def test_writer_app_home_overrides_every_folder(tmp_path):
    paths = AppPaths.from_env({"WRITER_APP_HOME": str(tmp_path)})
    assert paths.data_dir == tmp_path and paths.config_dir == tmp_path
    assert paths.models_dir == tmp_path / "models"


def test_settings_round_trip(tmp_path):
    f = tmp_path / "settings.toml"
    s = Settings(engine=EngineSettings(model="demo", n_ctx=4096, temperature=0.5), author="王老师")
    save_settings(f, s)
    loaded, warnings = load_settings(f)
    assert loaded == s and warnings == []


def test_missing_file_gives_defaults(tmp_path):
    assert load_settings(tmp_path / "none.toml") == (Settings(), [])


def test_wrong_types_fall_back_with_a_warning(tmp_path):
    f = tmp_path / "settings.toml"
    f.write_text('author = 3\n[engine]\nn_ctx = "big"\ntemperature = 1\nunknown = 1\n', encoding="utf-8")
    s, warnings = load_settings(f)
    assert s.engine.n_ctx == 0 and s.engine.temperature == 1.0 and s.author == ""
    assert len(warnings) == 2


def test_malformed_file_is_a_clear_error_and_is_left_alone(tmp_path):
    f = tmp_path / "settings.toml"
    f.write_text("[engine\nmodel=", encoding="utf-8")
    with pytest.raises(WriterAppError, match="格式错误"):
        load_settings(f)
    assert f.read_text(encoding="utf-8") == "[engine\nmodel="


def test_threads_default_to_physical_cores():
    assert EngineSettings().resolved_threads() == physical_cores() >= 1
    assert EngineSettings(n_threads=3).resolved_threads() == 3


def test_classroom_settings_round_trip_and_an_unknown_backend_falls_back_to_local(tmp_path):
    from writer_app.config import EngineSettings, ServerSettings

    f = tmp_path / "settings.toml"
    s = Settings(
        engine=EngineSettings(backend="server", server=ServerSettings(url="http://h:8080/v1", model="m"))
    )
    save_settings(f, s)
    assert load_settings(f) == (s, [])
    f.write_text('[engine]\nbackend = "cloud"\n[engine.server]\ntimeout_s = 30\n', encoding="utf-8")
    s, warnings = load_settings(f)
    assert s.engine.backend == "local" and s.engine.server.timeout_s == 30.0
    assert len(warnings) == 1 and "engine.backend" in warnings[0]


@pytest.mark.parametrize(
    ("toml", "name"),
    [
        ("[engine.server]\ntimeout_s = nan\n", "timeout_s"),
        ("[engine.server]\ntimeout_s = inf\n", "timeout_s"),
        ("[engine]\nn_ctx = 99999999999999999\n", "n_ctx"),
        ("[engine]\ntemperature = -1.0\n", "temperature"),
        ("[engine]\nseed = -99\n", "seed"),
    ],
)
def test_numbers_out_of_range_fall_back_with_a_warning(tmp_path, toml, name):
    f = tmp_path / "settings.toml"
    f.write_text(toml, encoding="utf-8")
    s, warnings = load_settings(f)
    assert s == Settings() and len(warnings) == 1 and name in warnings[0] and "范围" in warnings[0]
