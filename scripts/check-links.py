#!/usr/bin/env python3
# The relative links of README.md, bench/README.md and docs/*.md, checked: every file they name exists
# and every `#anchor` is a heading of its page (as the code host makes anchors). Hand-written: the link
# checkers that exist fetch the web too, which CI cannot. Links that leave the repository are skipped.
import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
PAGES = [ROOT / "README.md", ROOT / "bench" / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def outside_fences(page):
    fenced = False
    for number, line in enumerate(page.read_text().split("\n"), 1):
        if line.lstrip().startswith("```"):
            fenced = not fenced
        elif not fenced:
            yield number, line


def anchors(page):
    slugs = set()
    for _, line in outside_fences(page):
        heading = re.match(r"#{1,6} (.*)", line)
        if heading:
            slug = re.sub(r"[^\w\- ]", "", heading.group(1).strip().lower())
            slugs.add(slug.replace(" ", "-"))
    return slugs


def main():
    faults = []
    for page in PAGES:
        for number, line in outside_fences(page):
            for link in re.findall(r"\]\(([^)\s]+)\)", line) + re.findall(r'src="([^"]+)"', line):
                if re.match(r"[a-z]+:", link):
                    continue
                path, _, anchor = link.partition("#")
                target = (page.parent / path).resolve() if path else page
                if not target.is_relative_to(ROOT):
                    continue
                where = f"{page.relative_to(ROOT)}:{number}"
                if not target.exists():
                    faults.append(f"{where}: no such file: {link}")
                elif anchor and target.suffix == ".md" and anchor not in anchors(target):
                    faults.append(f"{where}: no such heading: {link}")
    for fault in faults:
        print(fault)
    print(f"check-links: {len(PAGES)} pages, {len(faults)} broken links")
    return 1 if faults else 0


if __name__ == "__main__":
    sys.exit(main())
