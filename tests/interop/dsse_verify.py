"""Checks a chain entry with securesystemslib's DSSE implementation, not ours.

usage: dsse_verify.py PUBLIC_KEY.pem ENTRY.json
Prints the verified key id and the statement's predicate sequence; exits non-zero when the
signature does not verify.
"""

import hashlib
import json
import sys

from cryptography.hazmat.primitives.serialization import (
    Encoding,
    PublicFormat,
    load_pem_public_key,
)
from securesystemslib.dsse import Envelope
from securesystemslib.signer import SSlibKey


def main() -> None:
    public_key = load_pem_public_key(open(sys.argv[1], "rb").read())
    der = public_key.public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
    key_id = hashlib.sha256(der).hexdigest()
    key = SSlibKey.from_crypto(public_key, keyid=key_id)

    envelope = Envelope.from_dict(json.load(open(sys.argv[2])))
    verified = envelope.verify([key], 1)
    statement = json.loads(envelope.payload)
    print(json.dumps({
        "verified": sorted(verified),
        "type": statement["_type"],
        "sequence": statement["predicate"]["sequence"],
        "subjects": [s["digest"]["sha256"] for s in statement["subject"]],
    }))


if __name__ == "__main__":
    main()
