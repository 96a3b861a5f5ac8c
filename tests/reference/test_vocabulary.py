"""The lists the API offers come from the ontology (service/reference/vocabulary.py): placement
methods (the roll-up's Method, the GraphQL and REST enums, the placement code's list) and the
geography types roll-ups are materialised for. A geography type or method added in an ontology
file shows in all of them with no Python change."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from service.api.graphql.rollup_types import RollupMethod
from service.geography.methods import METHODS, SIMPLE_METHODS
from service.rdf.terms import ONTOLOGY_EXTRA_ENV, ROOT
from service.reference.vocabulary import (
    OntologyListError,
    default_method_key,
    geography_types,
    method_keys,
    placement_methods,
    rollup_area_types,
)
from service.rollup.model import AREA_MEMBERSHIP, DEFAULT_METHOD, RETURN_STATED, Method

PREFIXES = """
@prefix nhskg: <https://w3id.org/nhskg/def#> .
@prefix skos:  <http://www.w3.org/2004/02/skos/core#> .
@prefix rdfs:  <http://www.w3.org/2000/01/rdf-schema#> .
@prefix owl:   <http://www.w3.org/2002/07/owl#> .
"""

POLICE_AND_POSTCODES = (
    PREFIXES
    + """
nhskg:PoliceForceArea a owl:Class ; rdfs:subClassOf nhskg:GeographicArea ;
    rdfs:label "Police force area"@en ; skos:definition "A police force's area."@en ;
    nhskg:apiName "PFA" ; nhskg:rollUpTarget true .
nhskg:PostcodePlacement a skos:Concept , nhskg:PlacementMethod ;
    skos:inScheme nhskg:PlacementMethods ; nhskg:apiName "POSTCODE" ; nhskg:displayOrder 7 ;
    rdfs:label "by postcode"@en ; skos:definition "By the postcode of its headquarters."@en .
"""
)


def extra(tmp_path: Path, text: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "extra.ttl"
    path.write_text(text)
    monkeypatch.setenv(ONTOLOGY_EXTRA_ENV, str(path))
    return path


def test_the_ontology_lists_the_methods_and_the_roll_up_targets() -> None:
    assert method_keys() == (
        "SITES", "HEADQUARTERS", "CATCHMENT", "ODS_STATED", "RETURN_STATED", "AREA_MEMBERSHIP"
    )  # fmt: skip
    assert default_method_key() == "HEADQUARTERS" == DEFAULT_METHOD
    assert rollup_area_types() == ("NHS_REGION", "ICB", "LRF")
    keys = {t.key for t in geography_types()}
    assert {"NHS_REGION", "ICB", "SUB_ICB", "LRF", "LAD", "UTLA", "ONS_REGION"} <= keys
    # Every method states its rule (the SITES one says what happens to unlocated sites).
    assert all(m.definition and m.label for m in placement_methods())
    sites = next(m for m in placement_methods() if m.key == "SITES")
    assert "no known location are not counted" in sites.definition


def test_every_enum_is_the_ontology_list_and_every_method_is_implemented() -> None:
    assert tuple(m.value for m in Method) == method_keys()
    assert tuple(m.value for m in RollupMethod) == method_keys()
    assert tuple(k for k in method_keys() if k not in (RETURN_STATED, AREA_MEMBERSHIP)) == METHODS
    assert set(method_keys()) == set(SIMPLE_METHODS) | {RETURN_STATED, AREA_MEMBERSHIP}


def test_a_geography_type_added_in_an_ontology_file_is_a_roll_up_target(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    extra(tmp_path, POLICE_AND_POSTCODES, monkeypatch)
    assert rollup_area_types() == ("NHS_REGION", "ICB", "LRF", "PFA")
    assert "PFA" in {t.key for t in geography_types()}
    assert method_keys()[-1] == "POSTCODE"
    monkeypatch.delenv(ONTOLOGY_EXTRA_ENV)
    assert rollup_area_types() == ("NHS_REGION", "ICB", "LRF")  # read per set of files


def test_the_api_enums_and_descriptions_follow_an_added_method(tmp_path: Path) -> None:
    """In a fresh process (the enums are made when the API's modules load): the GraphQL enum,
    the roll-up's Method, the REST lookup's documented methods and the roll-up targets."""
    path = tmp_path / "extra.ttl"
    path.write_text(POLICE_AND_POSTCODES)
    script = """
import json
from fastapi import FastAPI
from service.api.graphql.schema import schema
from service.api.routes.lookup import router
from service.reference.vocabulary import rollup_area_types
from service.rollup.model import Method
enum = schema.get_type_by_name("RollupMethod")
app = FastAPI()
app.include_router(router)
params = app.openapi()["paths"]["/lookup/{code}/{geography_type}"]["get"]["parameters"]
method = next(p for p in params if p["name"] == "method")
print(json.dumps({
    "graphql": [v.name for v in enum.values],
    "method": [m.value for m in Method],
    "rest": method["description"],
    "rollup": list(rollup_area_types()),
}))
"""
    env = {**os.environ, ONTOLOGY_EXTRA_ENV: str(path)}
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr[-2000:]
    found = json.loads(done.stdout.strip().splitlines()[-1])
    assert found["graphql"][-1] == "POSTCODE" and found["method"][-1] == "POSTCODE"
    assert found["rollup"] == ["NHS_REGION", "ICB", "LRF", "PFA"]
    # The lookup offers the methods it can place by: an ontology method with no placement
    # function is not offered there (its Python place is service/geography/methods.py).
    assert "SITES" in found["rest"] and "POSTCODE" not in found["rest"]


@pytest.mark.parametrize(
    "text, message",
    [
        (
            'nhskg:Twice a skos:Concept , nhskg:PlacementMethod ; nhskg:apiName "SITES" .',
            "two placement methods share an nhskg:apiName: SITES",
        ),
        (
            'nhskg:Other a skos:Concept , nhskg:PlacementMethod ; nhskg:apiName "OTHER" ; '
            "nhskg:isDefault true .",
            "exactly one placement method needs nhskg:isDefault true",
        ),
        (
            'nhskg:Twin a owl:Class ; rdfs:subClassOf nhskg:GeographicArea ; nhskg:apiName "LRF" .',
            "two geography types share an nhskg:apiName: LRF",
        ),
    ],
)
def test_an_ontology_list_that_cannot_be_offered_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str, message: str
) -> None:
    extra(tmp_path, PREFIXES + text, monkeypatch)
    with pytest.raises(OntologyListError, match=message):
        method_keys()
        rollup_area_types()
