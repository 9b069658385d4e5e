"""Generate deterministic synthetic published reports for benchmarks (evaluations.synthetic)."""

import time

from django.core.management.base import BaseCommand, CommandError

from bench import synthetic


class Command(BaseCommand):
    help = (
        "Generate N departments × Y years of published reports with P projects each and "
        "I indicators in every 自评表 (the department's and each project's), deterministically."
    )

    def add_arguments(self, parser):
        parser.add_argument("--departments", type=int, required=True, metavar="N")
        parser.add_argument("--years", type=int, required=True, metavar="Y")
        parser.add_argument("--projects", type=int, required=True, metavar="P",
                            help="projects per report")
        parser.add_argument("--indicators", type=int, required=True, metavar="I",
                            help="indicators per table: the department's and each project's")
        parser.add_argument("--seed", type=int, default=0, metavar="S")
        parser.add_argument("--first-year", type=int, default=synthetic.FIRST_YEAR)
        parser.add_argument("--dry-run", action="store_true",
                            help="print what would be generated and write nothing")

    def handle(self, *args, **options):
        try:
            plan = synthetic.Plan(
                departments=options["departments"], years=options["years"],
                projects=options["projects"], indicators=options["indicators"],
                seed=options["seed"], first_year=options["first_year"],
            )
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"{plan.departments} departments × {plan.years} years = {plan.reports} reports, "
            f"{plan.total_projects} projects, {plan.total_indicators} indicators (seed {plan.seed})"
        )
        if options["dry_run"]:
            return
        started = time.monotonic()
        verbose = options["verbosity"] > 1
        try:
            counts = synthetic.generate(plan, progress=self.stdout.write if verbose else None)
        except synthetic.AlreadyGenerated as exc:
            raise CommandError(
                f"departments with codes starting {exc} exist already; "
                "generate into a fresh database"
            ) from exc
        elapsed = time.monotonic() - started
        summary = ", ".join(f"{value} {key}" for key, value in counts.items())
        self.stdout.write(self.style.SUCCESS(f"Created {summary} in {elapsed:.1f} s."))
