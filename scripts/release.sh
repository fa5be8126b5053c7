#!/usr/bin/env bash
# Releases version X.Y.Z, in the manner of actions/typescript-action's release script:
#   scripts/release.sh 1.4.0
# 1. refuses unless X.Y.Z is package.json's version, is newer than every vX.Y.Z tag, and dist/
#    and schema/ are exactly what src/ builds (the runner runs the committed dist/, not src/);
# 2. makes a release commit, off the branch, in which the reusable workflows call the action
#    at vX.Y.Z instead of vMAJOR: `uses:` takes no expression, so this is how a caller who pins
#    a release of a reusable workflow also gets that release's action;
# 3. tags it vX.Y.Z and moves vMAJOR there, and pushes both tags to origin.
set -euo pipefail

version="${1:-}"
fail() {
  echo "release: $*" >&2
  exit 1
}
[[ "$version" =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] || fail "give the version as X.Y.Z, not \"$version\""
major="v${version%%.*}"
tag="v$version"

[[ -z "$(git status --porcelain)" ]] || fail "the working tree has changes; release from a clean checkout"
pkg="$(node -p 'require("./package.json").version')"
[[ "$pkg" == "$version" ]] || fail "package.json says $pkg; set it to $version (npm version $version --no-git-tag-version) and commit first"
git fetch --quiet --tags origin
! git rev-parse -q --verify "refs/tags/$tag" >/dev/null || fail "$tag exists already"
latest="$(git tag --list 'v*.*.*' | sed 's/^v//' | sort -V | tail -1)"
if [[ -n "$latest" && "$(printf '%s\n%s\n' "$latest" "$version" | sort -V | tail -1)" != "$version" ]]; then
  fail "$tag is not newer than the latest release, v$latest"
fi

fresh="$(mktemp -d)"
trap 'rm -rf "$fresh"' EXIT
node scripts/build.mjs "$fresh" >/dev/null
for dir in dist schema; do
  diff -r "$dir" "$fresh/$dir" >/dev/null ||
    fail "$dir/ is not what src/ builds: run npm run build and commit it ($(diff -rq "$dir" "$fresh/$dir" | head -3 | tr '\n' ';'))"
done

git switch --quiet --detach
for f in .github/workflows/*.yml .gitea/workflows/*.yml; do
  if [[ -f "$f" ]]; then
    sed -i -E "s#(uses: stackcheck/stackcheck)@${major}\$#\\1@${tag}#" "$f"
    git add "$f"
  fi
done
git commit --quiet --allow-empty -m "Release $tag: the reusable workflows call the action at $tag"
git tag -a "$tag" -m "$tag"
git tag -fa "$major" -m "$major, now $tag"
git push --quiet origin "$tag"
git push --quiet --force origin "$major"
git switch --quiet -
echo "released $tag ($(git rev-parse --short "$tag")); $major moved there"
