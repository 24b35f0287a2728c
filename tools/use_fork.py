"""Point the kit at a fork: every link a student follows (the notebooks' setup cells, which clone
the kit on Colab, their Colab badges, the README's badges, helpers/machinery/notebook.py's REPO_URL)
names the fork instead. tests/test_notebooks.py checks that they all agree.

    python -m tools.use_fork https://github.com/YOUR-NAME/cifar10-advanced-convolutions [--branch main]

Then commit and push: the badges open the fork's notebooks, and the notebooks clone the fork.
"""
import argparse
import re
import sys
from pathlib import Path

from helpers.machinery.notebook import REPO_URL

REPO = Path(__file__).resolve().parents[1]
FILES = ["README.md", "helpers/machinery/notebook.py", "notebooks/*.py", "notebooks/*.ipynb"]
GITHUB = re.compile(r"^https://github\.com/([A-Za-z0-9][\w.-]*)/([\w.-]+?)(\.git)?/?$")


def use_fork(url, branch="main", root=REPO):
    """Rewrite every link to the kit's repository (and the badges' branch) as `url` and `branch`.
    Returns the files changed."""
    match = GITHUB.match(url.strip())
    if not match:
        raise SystemExit(f"error: {url!r} is not a GitHub repository address: give https://github.com/OWNER/NAME")
    new_slug, old_slug = f"{match.group(1)}/{match.group(2)}", REPO_URL.removeprefix("https://github.com/")
    badge = re.compile(rf"colab\.research\.google\.com/github/{re.escape(old_slug)}/blob/[\w.-]+/")
    changed = []
    for pattern in FILES:
        for path in sorted(root.glob(pattern)):
            text = path.read_text()
            new = badge.sub(f"colab.research.google.com/github/{new_slug}/blob/{branch}/", text)
            new = new.replace(f"https://github.com/{old_slug}", f"https://github.com/{new_slug}")
            if new != text:
                path.write_text(new)
                changed.append(path.relative_to(root))
    return changed


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m tools.use_fork", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("url", help="your fork, https://github.com/OWNER/NAME")
    parser.add_argument("--branch", default="main", help="the branch the badges open (default: main)")
    args = parser.parse_args(argv)
    changed = use_fork(args.url, args.branch)
    print(f"{len(changed)} files now point at {args.url}: {', '.join(map(str, changed))}" if changed else
          f"nothing to change: the kit already points at {args.url}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
