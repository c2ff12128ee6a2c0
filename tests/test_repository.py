"""The repository itself: light to clone, and its guides link only to files that exist."""

import os
import re
import subprocess

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# Trained models live in models/ (only those README's tables name); experiment runs keep
# results.json, curves and reports, never weights.
LARGEST_FILE_OUTSIDE_MODELS = 5 * 2**20
ALL_FILES_OUTSIDE_MODELS = 15 * 2**20


def tracked_files():
    try:
        listed = subprocess.run(["git", "ls-files", "-z"], cwd=REPO, capture_output=True,
                                check=True)
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("not a git checkout")
    return [name for name in listed.stdout.decode().split("\0") if name]


def test_no_large_file_is_tracked_outside_models():
    sizes = {name: os.path.getsize(os.path.join(REPO, name)) for name in tracked_files()
             if not name.startswith("models/") and os.path.isfile(os.path.join(REPO, name))}
    large = {name: size for name, size in sizes.items() if size > LARGEST_FILE_OUTSIDE_MODELS}
    assert not large, f"files over 5 MB outside models/ (weights belong in models/): {large}"
    assert sum(sizes.values()) < ALL_FILES_OUTSIDE_MODELS, sum(sizes.values())
    weights = [name for name in sizes if name.endswith((".h5", ".keras"))
               and not name.startswith("tests/data/")]
    assert not weights, f"model files outside models/: {weights}"


def guides():
    docs = os.path.join(REPO, "docs")
    names = ["README.md", "DEVELOPERS.md"] + sorted(
        os.path.join("docs", name) for name in os.listdir(docs) if name.endswith(".md"))
    return [name for name in names if os.path.isfile(os.path.join(REPO, name))]


@pytest.mark.parametrize("guide", guides())
def test_the_guides_link_to_files_that_exist_inside_the_repository(guide):
    with open(os.path.join(REPO, guide)) as f:
        text = f.read()
    folder = os.path.dirname(os.path.join(REPO, guide))
    targets = re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", text)
    assert guide != "README.md" or len(targets) > 10, "README links to its docs and pictures"
    for target in targets:
        if re.match(r"[a-z]+://", target):
            continue
        path = os.path.normpath(os.path.join(folder, target))
        assert path.startswith(REPO + os.sep), f"{guide} links outside the repository: {target}"
        assert os.path.exists(path), f"{guide} links to a missing file: {target}"
    assert "shared/" not in text and "RAM_NOTES" not in text, \
        f"{guide} cites notes that are not in the repository"


# The pages whose figures name the committed file they came from.
FIGURE_PAGES = ["README.md", "docs/results.md", "docs/hard_tasks.md", "docs/catch.md",
                "docs/speed.md", "docs/evaluating.md"]


@pytest.mark.parametrize("page", FIGURE_PAGES)
def test_every_committed_file_a_figure_cites_exists(page):
    """Each `results/...` or `models/...` path quoted in these pages (without a
    placeholder such as <config>, CONFIG, N or {a,b}) is a file or folder of the checkout."""
    with open(os.path.join(REPO, page)) as f:
        text = f.read()
    # Commands in fenced blocks write files (a user's run); the prose cites committed ones.
    prose = re.sub(r"```.*?```", "", text, flags=re.S)
    cited = set()
    for quoted in re.findall(r"`([^`]+)`", prose):
        for word in quoted.split():
            word = word.rstrip(".,;:)").lstrip("(")
            if re.match(r"(results|models)/", word) and not re.search(
                    r"[<>{}\[\]*]|CONFIG|NAME|STYLE|seedN|_N\b|/earlier/|\.\.\.", word):
                cited.add(word)
    assert cited
    missing = sorted(path for path in cited if not os.path.exists(os.path.join(REPO, path)))
    assert not missing, f"{page} cites files that are not in the repository: {missing}"
