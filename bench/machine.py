"""What the bench reads from the machine: /proc counters of a process, the host, the file limit."""

from __future__ import annotations

import os
import platform
import resource
from dataclasses import dataclass
from pathlib import Path

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def raise_file_limit() -> int:
    """Lift the soft open-files limit to the hard one (children inherit it); the new soft limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY:
        hard = 1 << 20
    if soft == resource.RLIM_INFINITY or soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def machine() -> dict[str, object]:
    model = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_kib = 0
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem_kib = int(line.split()[1])
    except OSError:
        pass
    return {
        "nproc": os.cpu_count(),
        "cpu_model": model,
        "memory_mib": mem_kib // 1024,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "loadavg_at_start": list(os.getloadavg()),
    }


@dataclass(frozen=True)
class ProcSample:
    cpu_seconds: float  # utime + stime
    rss_kib: int
    sys_seconds: float = 0.0  # stime alone (the kernel: syscalls, wake-ups)


def sample(pid: int | str = "self") -> ProcSample:
    """utime+stime from /proc/<pid>/stat and VmRSS from /proc/<pid>/status."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat[stat.rindex(")") + 2 :].split()
    # fields[0] is field 3 (state): utime is field 14, stime field 15
    cpu = (int(fields[11]) + int(fields[12])) / CLOCK_TICKS
    rss = 0
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            rss = int(line.split()[1])
            break
    return ProcSample(cpu, rss, int(fields[12]) / CLOCK_TICKS)
