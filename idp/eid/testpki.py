"""TEST PKI ONLY: build CAs and Estonian-eID-like end-user certificates at run time for the
Smart-ID stand-in and the test suite. Nothing here is trusted in production: these CAs exist only
in the configuration of a test or development IdP (as PEM files it is given explicitly).

Profiles follow the public ones closely enough to exercise every check: ID-card authentication
certificate (EC P-384, keyUsage digitalSignature, EKU clientAuth, AIA OCSP) and Smart-ID
authentication certificate (RSA, keyUsage digitalSignature, EKU Smart-ID Authentication, SK and
ETSI policy OIDs of its level). Subject: C=EE, CN="FAMILY,GIVEN,code", SN, GN, serialNumber.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.asymmetric.types import (
    CertificateIssuerPrivateKeyTypes,
    CertificatePublicKeyTypes,
)
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID, ObjectIdentifier

IDCARD_AUTH_POLICIES = ("1.3.6.1.4.1.51361.1.1.3", "0.4.0.2042.1.2")  # test values, ESTEID-like
SMARTID_POLICIES = {"QUALIFIED": ("1.3.6.1.4.1.10015.17.2", "0.4.0.2042.1.2"),
                    "ADVANCED": ("1.3.6.1.4.1.10015.17.1", "0.4.0.2042.1.1")}
SMART_ID_AUTH_EKU = ObjectIdentifier("1.3.6.1.4.1.62306.5.7.0")
LONG_AGO = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
FAR_AHEAD = dt.datetime(2045, 1, 1, tzinfo=dt.UTC)


@dataclass(frozen=True)
class TestCa:
    certificate: x509.Certificate
    key: CertificateIssuerPrivateKeyTypes

    def certificate_pem(self) -> bytes:
        return self.certificate.public_bytes(serialization.Encoding.PEM)

    def key_pem(self) -> bytes:
        return self.key.private_bytes(serialization.Encoding.PEM,
                                      serialization.PrivateFormat.PKCS8,
                                      serialization.NoEncryption())

    @classmethod
    def from_pem(cls, certificate_pem: bytes, key_pem: bytes) -> TestCa:
        key = serialization.load_pem_private_key(key_pem, password=None)
        if not isinstance(key, ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey):
            raise TypeError("unsupported CA key")
        return cls(x509.load_pem_x509_certificate(certificate_pem), key)


def _hash_for(key: CertificateIssuerPrivateKeyTypes) -> hashes.SHA384:
    return hashes.SHA384()  # ecdsa-with-SHA384 / sha384WithRSA, as SK's and Zetes' CAs sign


def make_ca(common_name: str, *, key: CertificateIssuerPrivateKeyTypes | None = None,
            not_before: dt.datetime = LONG_AGO, not_after: dt.datetime = FAR_AHEAD,
            issuer: TestCa | None = None) -> TestCa:
    """A CA certificate (self-signed, or issued by ``issuer``) with an EC P-384 key by default."""
    key = key or ec.generate_private_key(ec.SECP384R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "EE"),
                         x509.NameAttribute(NameOID.ORGANIZATION_NAME, "TEST PKI, not for use"),
                         x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    issuer_name, signer_key = (issuer.certificate.subject, issuer.key) if issuer else (subject, key)
    builder = (x509.CertificateBuilder().subject_name(subject)
               .issuer_name(issuer_name).public_key(key.public_key())
               .serial_number(x509.random_serial_number())
               .not_valid_before(not_before).not_valid_after(not_after)
               .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
               .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False,
                                            key_encipherment=False, data_encipherment=False,
                                            key_agreement=False, key_cert_sign=True, crl_sign=True,
                                            encipher_only=False, decipher_only=False),
                              critical=True)
               .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()),
                              critical=False))
    return TestCa(builder.sign(signer_key, _hash_for(signer_key)), key)


def person_name(personal_code: str, given_name: str, family_name: str) -> x509.Name:
    return x509.Name([
        x509.NameAttribute(NameOID.COUNTRY_NAME, "EE"),
        x509.NameAttribute(NameOID.COMMON_NAME, f"{family_name},{given_name},{personal_code}"),
        x509.NameAttribute(NameOID.SURNAME, family_name),
        x509.NameAttribute(NameOID.GIVEN_NAME, given_name),
        x509.NameAttribute(NameOID.SERIAL_NUMBER, f"PNOEE-{personal_code}")])


def key_usage(*, digital_signature: bool = True, key_agreement: bool = False,
              encipherment: bool = False, non_repudiation: bool = False) -> x509.KeyUsage:
    return x509.KeyUsage(digital_signature=digital_signature, content_commitment=non_repudiation,
                         key_encipherment=encipherment, data_encipherment=encipherment,
                         key_agreement=key_agreement, key_cert_sign=False, crl_sign=False,
                         encipher_only=False, decipher_only=False)


def issue(ca: TestCa, public_key: CertificatePublicKeyTypes, subject: x509.Name, *,
          not_before: dt.datetime, not_after: dt.datetime, usage: x509.KeyUsage,
          eku: Iterable[ObjectIdentifier] | None, policies: Iterable[str] = (),
          ocsp_url: str | None = None,
          extra: Iterable[tuple[x509.ExtensionType, bool]] = ()) -> x509.Certificate:
    """An end-user certificate from ``ca`` with exactly the given extensions."""
    builder = (x509.CertificateBuilder().subject_name(subject).issuer_name(ca.certificate.subject)
               .public_key(public_key).serial_number(x509.random_serial_number())
               .not_valid_before(not_before).not_valid_after(not_after)
               .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
               .add_extension(usage, critical=True))
    if eku is not None:
        builder = builder.add_extension(x509.ExtendedKeyUsage(list(eku)), critical=False)
    policies = list(policies)
    if policies:
        builder = builder.add_extension(x509.CertificatePolicies(
            [x509.PolicyInformation(ObjectIdentifier(oid), None) for oid in policies]),
            critical=False)
    if ocsp_url:
        builder = builder.add_extension(x509.AuthorityInformationAccess([x509.AccessDescription(
            x509.oid.AuthorityInformationAccessOID.OCSP, x509.UniformResourceIdentifier(ocsp_url))]),
            critical=False)
    for extension, critical in extra:
        builder = builder.add_extension(extension, critical=critical)
    return builder.sign(ca.key, _hash_for(ca.key))


def idcard_auth_certificate(ca: TestCa, public_key: CertificatePublicKeyTypes, *,
                            personal_code: str, given_name: str, family_name: str,
                            not_before: dt.datetime = LONG_AGO, not_after: dt.datetime = FAR_AHEAD,
                            ocsp_url: str | None = None,
                            policies: Iterable[str] = IDCARD_AUTH_POLICIES,
                            usage: x509.KeyUsage | None = None,
                            eku: Iterable[ObjectIdentifier] | None = (
                                ExtendedKeyUsageOID.CLIENT_AUTH,)) -> x509.Certificate:
    """An ID-card-like authentication certificate (ESTEID profile: keyUsage digitalSignature and
    keyAgreement, EKU clientAuth)."""
    return issue(ca, public_key, person_name(personal_code, given_name, family_name),
                 not_before=not_before, not_after=not_after,
                 usage=usage or key_usage(key_agreement=True), eku=eku, policies=policies,
                 ocsp_url=ocsp_url)


def smartid_auth_certificate(ca: TestCa, public_key: CertificatePublicKeyTypes, *,
                             personal_code: str, given_name: str, family_name: str,
                             level: str = "QUALIFIED", not_before: dt.datetime = LONG_AGO,
                             not_after: dt.datetime = FAR_AHEAD) -> x509.Certificate:
    """A Smart-ID-like authentication certificate (profile from April 2025)."""
    return issue(ca, public_key, person_name(personal_code, given_name, family_name),
                 not_before=not_before, not_after=not_after, usage=key_usage(),
                 eku=(SMART_ID_AUTH_EKU,), policies=SMARTID_POLICIES[level])
