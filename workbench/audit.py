"""The audit log: who viewed a case, who recorded a control result, who published or backtested
what. JSON lines in the workbench's data folder, appended and flushed per entry. It names users
and cases by design (that is its purpose); the application log does not."""
from __future__ import annotations

import json
import threading
import time
from pathlib import Path


class AuditLog:
    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()

    def record(self, user: str, action: str, subject: str | None = None, **details) -> dict:
        entry = {"at_ms": int(time.time() * 1000), "user": user, "action": action, "subject": subject, **details}
        with self._lock, open(self.path, "a", encoding="utf-8") as f:
            f.write(json.dumps(entry, ensure_ascii=False) + "\n")
        return entry

    def entries(self, limit: int = 200, subject: str | None = None) -> list[dict]:
        """The newest entries first."""
        if not self.path.exists():
            return []
        with self._lock:
            lines = self.path.read_text(encoding="utf-8").splitlines()
        out = []
        for line in reversed(lines):
            entry = json.loads(line)
            if subject is None or entry.get("subject") == subject:
                out.append(entry)
                if len(out) >= limit:
                    break
        return out
