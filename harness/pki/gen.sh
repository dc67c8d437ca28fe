#!/usr/bin/env bash
# Regenerate the tlsharness test PKI.
#
# Usage: harness/pki/gen.sh [OUTDIR]
#   OUTDIR defaults to the directory this script lives in.
#
# Needs only the `openssl` command-line tool (tested with OpenSSL 3.0 on
# Debian 12). Validity windows are fixed dates (via `openssl ca -startdate /
# -enddate`), never relative to "now", and serial numbers are fixed, so the
# structure of every certificate is identical from run to run; only the keys
# (and therefore signatures, key identifiers and fingerprints) change.
#
# Additive: files that already exist in OUTDIR are kept byte for byte (fuzz
# corpora and crash reproducers depend on them) and only the missing ones are
# made, new leaves signed with the existing intermediate's key. To regenerate
# a whole hierarchy, delete every <kt>-* file of it first (or give an empty
# OUTDIR). gen.sh and README.md are left alone.
set -euo pipefail

SCRIPT_DIR=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
OUT=${1:-$SCRIPT_DIR}
mkdir -p -- "$OUT"
OUT=$(cd -- "$OUT" && pwd)

command -v openssl >/dev/null || { echo "gen.sh: openssl not found" >&2; exit 1; }

WORK=$(mktemp -d "${TMPDIR:-/tmp}/tlsh-pki.XXXXXX")
trap 'rm -rf -- "$WORK"' EXIT
STAGE=$WORK/out
mkdir -p "$STAGE"
# What exists already is the starting point: kept as it is, never re-made.
shopt -s nullglob
for f in "$OUT"/*.pem "$OUT"/*.key "$OUT"/*.der; do
    cp -p -- "$f" "$STAGE"/
done
shopt -u nullglob
have() { [ -e "$STAGE/$1" ]; }

# Fixed validity windows. GeneralizedTime input is accepted by `openssl ca`;
# dates before 2050 are still encoded as UTCTime as RFC 5280 requires.
GOOD_START=20200101000000Z
GOOD_END=20991231235959Z
EXPIRED_START=20000101000000Z
EXPIRED_END=20010101000000Z
NOTYET_START=20980101000000Z
NOTYET_END=20991231235959Z

O="tlsharness test PKI"

# ---------------------------------------------------------------- helpers --

# genkey KT NAME  -> $STAGE/NAME.key (PKCS#8, unencrypted PEM)
genkey() {
    local kt=$1 name=$2
    have "$name.key" && return 0
    case $kt in
        rsa)   openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 \
                   -out "$STAGE/$name.key" 2>/dev/null ;;
        ecdsa) openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:prime256v1 \
                   -pkeyopt ec_param_enc:named_curve -out "$STAGE/$name.key" ;;
        *) echo "gen.sh: bad key type $kt" >&2; exit 1 ;;
    esac
}

# newca DIR  -> fresh `openssl ca` database in $WORK/DIR
newca() {
    local d=$WORK/$1
    rm -rf -- "$d"
    mkdir -p "$d/newcerts"
    : >"$d/index.txt"
    cat >"$d/ca.cnf" <<EOF
[ ca ]
default_ca = tlsh_ca

[ tlsh_ca ]
dir             = $d
database        = \$dir/index.txt
new_certs_dir   = \$dir/newcerts
serial          = \$dir/serial
default_md      = sha256
policy          = policy_any
unique_subject  = no
email_in_dn     = no
copy_extensions = none

[ policy_any ]
organizationName = optional
commonName       = supplied

[ req ]
distinguished_name = req_dn
prompt             = no
[ req_dn ]
CN = placeholder
EOF
}

# sign CADIR SERIAL SUBJ KEYNAME OUTNAME START END EXTFILE [selfsign|ISSUERNAME]
#   Signs $STAGE/KEYNAME.key's public key into $STAGE/OUTNAME.pem.
sign() {
    local cadir=$1 serial=$2 subj=$3 key=$4 out=$5 start=$6 end=$7 ext=$8 issuer=$9
    local d=$WORK/$cadir
    have "$out.pem" && return 0
    echo "$serial" >"$d/serial"
    openssl req -new -config "$d/ca.cnf" -key "$STAGE/$key.key" -subj "$subj" \
        -out "$WORK/$out.csr"
    local signer=()
    if [ "$issuer" = selfsign ]; then
        signer=(-selfsign -keyfile "$STAGE/$key.key")
    else
        signer=(-cert "$STAGE/$issuer.pem" -keyfile "$STAGE/$issuer.key")
    fi
    openssl ca -batch -notext -config "$d/ca.cnf" "${signer[@]}" \
        -in "$WORK/$out.csr" -out "$STAGE/$out.pem" \
        -startdate "$start" -enddate "$end" -md sha256 -preserveDN \
        -extfile "$ext" -extensions ext 2>"$WORK/ca.log" \
        || { cat "$WORK/ca.log" >&2; exit 1; }
}

# ext FILE LINES...  -> write an extension section named [ext]
ext() {
    local f=$1; shift
    { echo "[ ext ]"; printf '%s\n' "$@"; } >"$f"
}

# ---------------------------------------------------------------- build ----

build() {
    local kt=$1 KT=$2 base=$3   # base: first serial (hex) of this hierarchy
    local p=$kt

    local leaf_ku="critical,digitalSignature"
    [ "$kt" = rsa ] && leaf_ku="critical,digitalSignature,keyEncipherment"

    ext "$WORK/$p-root.ext" \
        "basicConstraints = critical,CA:TRUE" \
        "keyUsage = critical,keyCertSign,cRLSign" \
        "subjectKeyIdentifier = hash"
    ext "$WORK/$p-int.ext" \
        "basicConstraints = critical,CA:TRUE,pathlen:0" \
        "keyUsage = critical,keyCertSign,cRLSign" \
        "subjectKeyIdentifier = hash" \
        "authorityKeyIdentifier = keyid:always"
    leaf_ext() {   # leaf_ext FILE EKU [SAN]
        local f=$1 eku=$2 san=${3:-}
        local lines=(
            "basicConstraints = critical,CA:FALSE"
            "keyUsage = $leaf_ku"
            "extendedKeyUsage = $eku"
            "subjectKeyIdentifier = hash"
            "authorityKeyIdentifier = keyid:always"
        )
        [ -n "$san" ] && lines+=("subjectAltName = $san")
        ext "$f" "${lines[@]}"
    }
    leaf_ext "$WORK/$p-server.ext" serverAuth "DNS:server.tlsh.test"
    leaf_ext "$WORK/$p-alt.ext"    serverAuth "DNS:alt.tlsh.test"
    leaf_ext "$WORK/$p-ip.ext"     serverAuth "IP:127.0.0.1, DNS:ip.tlsh.test"
    leaf_ext "$WORK/$p-nosan.ext"  serverAuth
    leaf_ext "$WORK/$p-client.ext" clientAuth
    # client: digitalSignature only, regardless of key type
    sed -i 's/^keyUsage = .*/keyUsage = critical,digitalSignature/' "$WORK/$p-client.ext"
    # Identity and key-usage leaves (issue 14): names with case, digits and
    # hyphens, wildcards, IPv6, a dNSName that spells an IP address, and the
    # wrong extendedKeyUsage for each role.
    leaf_ext "$WORK/$p-wild.ext"    serverAuth "DNS:*.wild.tlsh.test"
    leaf_ext "$WORK/$p-partial.ext" serverAuth "DNS:w*.tlsh.test"
    leaf_ext "$WORK/$p-mixed.ext"   serverAuth "DNS:Web-01.Mixed9.tlsh.test"
    leaf_ext "$WORK/$p-ip6.ext"     serverAuth "IP:::1, DNS:ip6.tlsh.test"
    leaf_ext "$WORK/$p-dnsip.ext"   serverAuth "DNS:127.0.0.1, DNS:::1"
    leaf_ext "$WORK/$p-noserverauth.ext" clientAuth "DNS:server.tlsh.test"
    leaf_ext "$WORK/$p-client-noclientauth.ext" serverAuth
    sed -i 's/^keyUsage = .*/keyUsage = critical,digitalSignature/' "$WORK/$p-client-noclientauth.ext"

    local s=$((16#$base))
    ser() { printf '%04X' $((s + $1)); }

    # Trusted hierarchy: root -> intermediate -> leaves
    newca "$p-root"
    sign "$p-root" "$(ser 0)" "/O=$O/CN=tlsh Test Root $KT" "$p-ca" "$p-ca" \
        "$GOOD_START" "$GOOD_END" "$WORK/$p-root.ext" selfsign
    sign "$p-root" "$(ser 1)" "/O=$O/CN=tlsh Test Intermediate $KT" "$p-int" "$p-int" \
        "$GOOD_START" "$GOOD_END" "$WORK/$p-int.ext" "$p-ca"

    newca "$p-int"
    local srv="/O=$O/CN=server.tlsh.test"
    sign "$p-int" "$(ser 2)" "$srv"                     "$p-server"  "$p-server"  "$GOOD_START"    "$GOOD_END"    "$WORK/$p-server.ext" "$p-int"
    sign "$p-int" "$(ser 3)" "/O=$O/CN=alt.tlsh.test"   "$p-alt"     "$p-alt"     "$GOOD_START"    "$GOOD_END"    "$WORK/$p-alt.ext"    "$p-int"
    sign "$p-int" "$(ser 4)" "/O=$O/CN=ip.tlsh.test"    "$p-ip"      "$p-ip"      "$GOOD_START"    "$GOOD_END"    "$WORK/$p-ip.ext"     "$p-int"
    sign "$p-int" "$(ser 5)" "$srv"                     "$p-nosan"   "$p-nosan"   "$GOOD_START"    "$GOOD_END"    "$WORK/$p-nosan.ext"  "$p-int"
    sign "$p-int" "$(ser 6)" "/O=$O/CN=tlsh client"     "$p-client"  "$p-client"  "$GOOD_START"    "$GOOD_END"    "$WORK/$p-client.ext" "$p-int"
    sign "$p-int" "$(ser 7)" "$srv"                     "$p-expired" "$p-expired" "$EXPIRED_START" "$EXPIRED_END" "$WORK/$p-server.ext" "$p-int"
    sign "$p-int" "$(ser 8)" "$srv"                     "$p-notyet"  "$p-notyet"  "$NOTYET_START"  "$NOTYET_END"  "$WORK/$p-server.ext" "$p-int"

    local cl="/O=$O/CN=tlsh client"
    sign "$p-int" "$(ser 11)" "/O=$O/CN=*.wild.tlsh.test" "$p-wild" "$p-wild" "$GOOD_START" "$GOOD_END" "$WORK/$p-wild.ext" "$p-int"
    sign "$p-int" "$(ser 12)" "/O=$O/CN=w*.tlsh.test" "$p-partial" "$p-partial" "$GOOD_START" "$GOOD_END" "$WORK/$p-partial.ext" "$p-int"
    sign "$p-int" "$(ser 13)" "/O=$O/CN=Web-01.Mixed9.tlsh.test" "$p-mixed" "$p-mixed" "$GOOD_START" "$GOOD_END" "$WORK/$p-mixed.ext" "$p-int"
    sign "$p-int" "$(ser 14)" "/O=$O/CN=ip6.tlsh.test" "$p-ip6" "$p-ip6" "$GOOD_START" "$GOOD_END" "$WORK/$p-ip6.ext" "$p-int"
    sign "$p-int" "$(ser 15)" "/O=$O/CN=dnsip.tlsh.test" "$p-dnsip" "$p-dnsip" "$GOOD_START" "$GOOD_END" "$WORK/$p-dnsip.ext" "$p-int"
    sign "$p-int" "$(ser 16)" "$srv" "$p-noserverauth" "$p-noserverauth" "$GOOD_START" "$GOOD_END" "$WORK/$p-noserverauth.ext" "$p-int"
    sign "$p-int" "$(ser 17)" "$cl" "$p-client-noclientauth" "$p-client-noclientauth" "$GOOD_START" "$GOOD_END" "$WORK/$p-client-noclientauth.ext" "$p-int"
    sign "$p-int" "$(ser 18)" "$cl" "$p-client-expired" "$p-client-expired" "$EXPIRED_START" "$EXPIRED_END" "$WORK/$p-client.ext" "$p-int"
    sign "$p-int" "$(ser 19)" "$cl" "$p-client-notyet" "$p-client-notyet" "$NOTYET_START" "$NOTYET_END" "$WORK/$p-client.ext" "$p-int"

    # Untrusted hierarchy: unknown root -> leaf
    newca "$p-unknown"
    sign "$p-unknown" "$(ser 9)" "/O=$O/CN=tlsh Unknown Root $KT" "$p-unknown-ca" "$p-unknown-ca" \
        "$GOOD_START" "$GOOD_END" "$WORK/$p-root.ext" selfsign
    sign "$p-unknown" "$(ser 10)" "$srv" "$p-unknown" "$p-unknown" \
        "$GOOD_START" "$GOOD_END" "$WORK/$p-server.ext" "$p-unknown-ca"

    # Convenience chains (leaf first, then intermediate; root not included)
    for n in server alt ip client; do
        have "$p-$n-chain.pem" ||
            cat "$STAGE/$p-$n.pem" "$STAGE/$p-int.pem" >"$STAGE/$p-$n-chain.pem"
    done

    # DER copies of the server leaf and its key (PKCS#8 DER)
    have "$p-server.der" ||
        openssl x509 -in "$STAGE/$p-server.pem" -outform DER -out "$STAGE/$p-server.der"
    have "$p-server.key.der" ||
        openssl pkcs8 -topk8 -nocrypt -in "$STAGE/$p-server.key" -outform DER \
            -out "$STAGE/$p-server.key.der"
}

# A hierarchy whose root or intermediate is missing cannot sign new leaves
# that chain to the existing ones: refuse rather than mix two hierarchies.
for kt in rsa ecdsa; do
    for ca in ca int unknown-ca; do
        if ! have "$kt-$ca.pem" || ! have "$kt-$ca.key"; then
            for f in "$STAGE/$kt"-*; do
                [ -e "$f" ] || continue
                echo "gen.sh: $OUT has $kt files but not $kt-$ca.pem/.key; delete every $kt-* file to regenerate that hierarchy" >&2
                exit 1
            done
        fi
    done
done

# Key generation dominates the run time (RSA), so do it up front, in parallel.
NAMES="ca int server alt ip nosan client expired notyet unknown-ca unknown
       wild partial mixed ip6 dnsip noserverauth client-noclientauth client-expired client-notyet"
pids=()
for kt in rsa ecdsa; do
    for n in $NAMES; do
        genkey "$kt" "$kt-$n" &
        pids+=($!)
    done
done
for pid in "${pids[@]}"; do
    wait "$pid" || { echo "gen.sh: key generation failed" >&2; exit 1; }
done

build rsa   RSA   1001
build ecdsa ECDSA 2001

# Write only what is new; existing files are never touched.
made=0
for f in "$STAGE"/*; do
    n=$(basename -- "$f")
    [ -e "$OUT/$n" ] && continue
    cp -- "$f" "$OUT/$n"
    chmod 0644 "$OUT/$n"
    made=$((made + 1))
done

echo "gen.sh: wrote $made new file(s) to $OUT"
