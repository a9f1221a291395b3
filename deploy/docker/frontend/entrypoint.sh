#!/bin/sh
# Renders nginx.conf from its template (only ${QUANTIS_API_URL}, ${NGINX_PORT} and
# ${QUANTIS_API_MAX_BODY_BYTES} are substituted; nginx's own $variables stay) into /tmp/nginx and runs nginx in the foreground.
# `--health` instead asks the running nginx for /nginx-health (the image's HEALTHCHECK; the
# image has no curl, bash's /dev/tcp does the request).
set -eu
if [ "${1:-}" = "--health" ]; then
  address="${NGINX_PORT:-80}"
  case "$address" in *:*) ;; *) address="127.0.0.1:$address" ;; esac
  # shellcheck disable=SC2016  # $0 and $1 expand in the bash child, not here
  exec bash -c 'exec 3<>"/dev/tcp/$0/$1" \
    && printf "GET /nginx-health HTTP/1.0\r\nHost: localhost\r\n\r\n" >&3 \
    && head -n 1 <&3 | grep -q " 200 "' "${address%:*}" "${address##*:}"
fi
: "${QUANTIS_API_URL:?set QUANTIS_API_URL to the REST API, e.g. http://api:8000}"
: "${NGINX_PORT:=80}"
: "${QUANTIS_API_MAX_BODY_BYTES:=16777216}"
case "$QUANTIS_API_MAX_BODY_BYTES" in
  '' | *[!0-9]*)
    echo "QUANTIS_API_MAX_BODY_BYTES must be a number of bytes, not '$QUANTIS_API_MAX_BODY_BYTES'" >&2
    exit 1
    ;;
esac
export NGINX_PORT QUANTIS_API_MAX_BODY_BYTES
mkdir -p /tmp/nginx
# shellcheck disable=SC2016  # the single quotes name the variables for envsubst
envsubst '${QUANTIS_API_URL} ${NGINX_PORT} ${QUANTIS_API_MAX_BODY_BYTES}' < /etc/nginx/quantis/nginx.conf.template > /tmp/nginx/nginx.conf
cp /etc/nginx/quantis/proxy_headers.conf /tmp/nginx/proxy_headers.conf
exec nginx -e stderr -c /tmp/nginx/nginx.conf -g 'daemon off;'
