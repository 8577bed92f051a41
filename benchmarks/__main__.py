import importlib
import os
import pkgutil
import secrets
import sys
import tempfile
import time
from pathlib import Path


def main() -> int:
    workdir = Path(tempfile.mkdtemp(prefix="pksai-bench-"))
    os.environ["DATABASE_URL"] = os.environ.get(
        "BENCH_DATABASE_URL", f"sqlite:///{workdir / 'bench.sqlite3'}"
    )
    os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(32))
    os.environ["DJANGO_SETTINGS_MODULE"] = "pksai.settings"
    import django
    from django.core.management import call_command

    django.setup()
    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    print(f"migrate: {time.perf_counter() - started:.2f} s ({os.environ['DATABASE_URL']})")
    only = sys.argv[1:]
    package = Path(__file__).parent
    verdicts: list[dict] = []
    for info in pkgutil.iter_modules([str(package)]):
        is_bench = info.name.startswith("bench_") or info.name.endswith("_bench")
        if not is_bench or (only and info.name not in only):
            continue
        module = importlib.import_module(f"benchmarks.{info.name}")
        print(f"== {info.name}: {module.__doc__.strip().splitlines()[0]}")
        verdicts += module.run() or []  # a bench with a goal returns its verdicts
    if verdicts:
        print("== goals")
        for verdict in verdicts:
            mark = {True: "PASS", False: "FAIL", None: "NOT MEASURED"}[verdict["passed"]]
            print(f"  {mark:<12} {verdict['goal']}: {verdict['value']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
