"""Which issuing CAs we trust, taken from the maintained ``esteid-certificates`` package (PyPI,
Thorgate; SK's and Zetes' published CA certificates) plus test CAs from PEM files by configuration.

Web eID and Smart-ID both trust *issuing* CAs only (see ``certs.find_issuer``):

* ID-card, digi-ID, e-resident digi-ID and residence-permit cards: ``ESTEID2018`` (SK, IDEMIA
  cards 2018-2025) and ``ESTEID2025`` (Zetes, Thales cards from 2025).
* Smart-ID: ``SK ID Solutions EID-Q 2024E/R`` and ``EID-Q 2021E/R`` (QUALIFIED accounts),
  ``EID-NQ 2021E/R`` (ADVANCED / Smart-ID Basic accounts; our default level refuses them anyway).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

import esteid_certificates
from cryptography import x509

IDCARD_CAS = ("ESTEID2018", "ESTEID2025")
IDCARD_TEST_CAS = ("TEST of ESTEID2018", "Test ESTEID2025")
SMARTID_CAS = ("SK ID Solutions EID-Q 2024E", "SK ID Solutions EID-Q 2024R",
               "SK ID Solutions EID-Q 2021E", "SK ID Solutions EID-Q 2021R",
               "SK ID Solutions EID-NQ 2021E", "SK ID Solutions EID-NQ 2021R")
SMARTID_TEST_CAS = ("TEST of SK ID Solutions EID-Q 2024E", "TEST of SK ID Solutions EID-Q 2024R",
                    "TEST of SK ID Solutions EID-Q 2021E", "TEST of SK ID Solutions EID-Q 2021R",
                    "TEST of SK ID Solutions EID-NQ 2021E", "TEST of SK ID Solutions EID-NQ 2021R")


def packaged_cas(names: Sequence[str]) -> list[x509.Certificate]:
    """CA certificates by their ``esteid-certificates`` name (e.g. ``"ESTEID2018"``).
    Raises ``esteid_certificates.UnknownCertificateError`` for a name the package lacks."""
    return [x509.load_pem_x509_certificate(esteid_certificates.get_certificate(name))
            for name in names]


def load_pem_files(paths: Iterable[str | Path]) -> list[x509.Certificate]:
    """Every certificate in the given PEM files (a file may hold several)."""
    found: list[x509.Certificate] = []
    for path in paths:
        found.extend(x509.load_pem_x509_certificates(Path(path).read_bytes()))
    return found


def idcard_cas(*, test: bool = False, extra_pem_files: Iterable[str | Path] = ()) -> list[
        x509.Certificate]:
    """Issuing CAs for Web eID: production (or SK/Zetes test cards when ``test``) plus any PEM
    files given (e.g. a local test CA)."""
    return packaged_cas(IDCARD_TEST_CAS if test else IDCARD_CAS) + load_pem_files(extra_pem_files)


def smartid_cas(*, test: bool = False, extra_pem_files: Iterable[str | Path] = ()) -> list[
        x509.Certificate]:
    """Issuing CAs for Smart-ID: production (or SK DEMO when ``test``) plus any PEM files given
    (e.g. the stand-in's CA)."""
    return (packaged_cas(SMARTID_TEST_CAS if test else SMARTID_CAS)
            + load_pem_files(extra_pem_files))
