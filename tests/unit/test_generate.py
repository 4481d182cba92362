"""Generated representations of the landing formats agree with contracts/landing (the one source)."""

import yaml

from mops.app.generate import stale_files
from mops.core.landing import load_registry
from mops.core.settings import PROJECT_DIR, Settings

REGISTRY = load_registry(PROJECT_DIR / "contracts" / "landing")


def test_generated_files_are_current():
    from mops.app.catalog import build_catalog

    catalog = build_catalog(Settings(project_dir=PROJECT_DIR))
    assert stale_files(PROJECT_DIR, REGISTRY, catalog) == [], "run `mops generate`"


def test_dbt_sources_declare_exactly_the_registry_fields_with_their_types():
    for source in REGISTRY.sources.values():
        path = PROJECT_DIR / "dbt_project/models/staging" / source.source / f"_{source.source}__sources.yml"
        declared = yaml.safe_load(path.read_text())["sources"][0]
        assert declared["schema"] == "raw"
        for table in source.tables.values():
            entry = next(t for t in declared["tables"] if t["name"] == table.name)
            assert entry["identifier"] == table.raw_table
            columns = {c["name"]: c for c in entry["columns"] if not c["name"].startswith("_mops_")}
            assert set(columns) == {f.name for f in table.fields}
            for field in table.fields:
                assert columns[field.name]["meta"]["landing_type"] == field.type


def test_the_field_version_macro_lists_every_renamed_field():
    macro = (PROJECT_DIR / "dbt_project/macros/generated/landing_field_versions.sql").read_text()
    for table in REGISTRY.tables():
        for canonical, by_version in table.canonical_mapping().items():
            for field in by_version.values():
                assert f'"column": "{field.staging}"' in macro, (table.qualified_name, canonical)
