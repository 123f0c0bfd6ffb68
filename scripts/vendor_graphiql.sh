#!/bin/sh
# Re-vendor GraphiQL's browser assets into api/static/graphiql from the npm registry, so GraphiQL
# loads nothing from a CDN. The versions are the ones strawberry's GraphiQL page names; each file is
# checked against the sha384 integrity value that page carries (api/graphiql.py keeps it).
# Usage: sh scripts/vendor_graphiql.sh   (needs npm; run from the repository root)
set -eu
out=api/static/graphiql
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
for p in react@18.2.0 react-dom@18.2.0 js-cookie@3.0.5 graphiql@3.8.3 @graphiql/plugin-explorer@1.0.2; do
  npm pack --silent "$p" >/dev/null
done
for t in *.tgz; do mkdir "${t%.tgz}" && tar xzf "$t" -C "${t%.tgz}"; done
cd - >/dev/null
mkdir -p "$out/licenses"
cp "$work/react-18.2.0/package/umd/react.production.min.js" "$out/"
cp "$work/react-dom-18.2.0/package/umd/react-dom.production.min.js" "$out/"
cp "$work/js-cookie-3.0.5/package/dist/js.cookie.min.js" "$out/"
cp "$work/graphiql-3.8.3/package/graphiql.min.css" "$work/graphiql-3.8.3/package/graphiql.min.js" "$out/"
cp "$work/graphiql-plugin-explorer-1.0.2/package/dist/style.css" "$out/plugin-explorer.css"
cp "$work/graphiql-plugin-explorer-1.0.2/package/dist/index.umd.js" "$out/plugin-explorer.umd.js"
cp "$work/react-18.2.0/package/LICENSE" "$out/licenses/react.LICENSE"
cp "$work/react-dom-18.2.0/package/LICENSE" "$out/licenses/react-dom.LICENSE"
cp "$work/js-cookie-3.0.5/package/LICENSE" "$out/licenses/js-cookie.LICENSE"
cp "$work/graphiql-3.8.3/package/LICENSE" "$out/licenses/graphiql.LICENSE"
# @graphiql/plugin-explorer ships no LICENSE file: it is MIT, from the same repository and authors.
cp "$work/graphiql-3.8.3/package/LICENSE" "$out/licenses/plugin-explorer.LICENSE"
.venv/bin/python -m api.graphiql --check
