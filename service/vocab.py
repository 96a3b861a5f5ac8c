"""Closed namespace of the nhskg ontology.

Generated from ontology/*.ttl by service/vocab_gen.py; do not edit."""

from rdflib import URIRef
from rdflib.namespace import DefinedNamespace, Namespace


class NHSKG(DefinedNamespace):
    _NS = Namespace("https://w3id.org/nhskg/def#")
    _fail = True

    Acquisition: URIRef
    AreaMembership: URIRef
    CatchmentShare: URIRef
    CatchmentTable: URIRef
    ChangeSet: URIRef
    ChangeSetApplication: URIRef
    ChangeSetReversion: URIRef
    Closure: URIRef
    CodeChange: URIRef
    GPPractice: URIRef
    GeographicArea: URIRef
    InferredType: URIRef
    IntegratedCareBoard: URIRef
    IntegratedCareSystemArea: URIRef
    Load: URIRef
    LoadedGraph: URIRef
    LocalAuthorityDistrict: URIRef
    LocalResilienceForum: URIRef
    Merger: URIRef
    MiddleLayerSuperOutputArea: URIRef
    NHSEnglandRegion: URIRef
    NHSTrust: URIRef
    ONSRegion: URIRef
    OdsRecord: URIRef
    Organisation: URIRef
    Rename: URIRef
    Site: URIRef
    SiteOperation: URIRef
    SiteRecord: URIRef
    SourceFile: URIRef
    Split: URIRef
    StatedType: URIRef
    SubICBLocation: URIRef
    SubICBLocationArea: URIRef
    Succession: URIRef
    SuccessorShare: URIRef
    TypeBasisScheme: URIRef
    UnregisteredProvider: URIRef
    UpperTierLocalAuthority: URIRef
    affects: URIRef
    alsoDatedOn: URIRef
    apiName: URIRef
    catchmentArea: URIRef
    catchmentOf: URIRef
    catchmentTable: URIRef
    changeSetId: URIRef
    closeDate: URIRef
    codeListedOn: URIRef
    effectiveDate: URIRef
    fileName: URIRef
    gssCode: URIRef
    headquartersLocatedIn: URIRef
    latitude: URIRef
    locatedIn: URIRef
    longitude: URIRef
    mapping: URIRef
    memberArea: URIRef
    odsCode: URIRef
    openDate: URIRef
    operatedSite: URIRef
    operator: URIRef
    parentArea: URIRef
    postcode: URIRef
    reason: URIRef
    recordOf: URIRef
    rowCount: URIRef
    sector: URIRef
    sha256: URIRef
    share: URIRef
    shareOfEvent: URIRef
    siteRecordOf: URIRef
    skipNote: URIRef
    softwareVersion: URIRef
    statedHealthGeographyCode: URIRef
    statedOn: URIRef
    statedParentCode: URIRef
    statedRegionCode: URIRef
    successor: URIRef
    supersedes: URIRef
    tripleCount: URIRef
    typeBasis: URIRef
    validFrom: URIRef
    validTo: URIRef
    vintage: URIRef
