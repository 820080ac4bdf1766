"""Demo clinics: `medbookings demo` fills an empty database, `medbookings bench` measures one."""

from medbookings_desktop.demo.build import DEMO_KEY, DemoSummary, build_demo, demo_of
from medbookings_desktop.demo.plan import Size

__all__ = ["DEMO_KEY", "DemoSummary", "Size", "build_demo", "demo_of"]
