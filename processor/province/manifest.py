"""What a province run is computed from, and what of it is finished (DIR/_work/manifest.json).

The fingerprint: the input files (path, size, modification time), the region, the settings file's
content (SHA-256), the policy files (SHA-256 over processor/policies/*/*.toml), the partition count and
the code (package version and a SHA-256 of processor/**/*.py). A restart with the same fingerprint keeps
the split and every partition whose result is complete; any difference is named in Chinese and the
whole run is redone (a partition computed by other rules or from other rows is never mixed in).
"""
from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from ..errors import FileError

MANIFEST = "manifest.json"
_PKG = Path(__file__).resolve().parent.parent


def _sha(paths) -> str:
    h = hashlib.sha256()
    for p in paths:
        h.update(str(p.relative_to(_PKG)).encode())
        h.update(b"\0")
        h.update(p.read_bytes())
        h.update(b"\0")
    return h.hexdigest()[:16]


def policy_version() -> str:
    return _sha(sorted(_PKG.glob("policies/*/*.toml")))


def code_version() -> str:
    try:
        from importlib.metadata import version
        pkg = version("yibao")
    except Exception:  # noqa: BLE001 - a source tree
        pkg = "未安装"
    return f"yibao {pkg}，代码 {_sha(sorted(_PKG.rglob('*.py')))}"


def settings_hash(path: str | None) -> str:
    if not path:
        return "（无设置文件）"
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:16]


def fingerprint(files, region: str, settings_path: str | None, partitions: int) -> dict:
    return {"inputs": [f.fingerprint() for f in files], "region": region,
            "settings": settings_hash(settings_path), "settings_path": str(settings_path or ""),
            "policies": policy_version(), "partitions": partitions, "code": code_version()}


def differences(old: dict, new: dict) -> list[str]:
    """What changed between two fingerprints, in Chinese (empty: the same run)."""
    out = []
    old_in = {p: (s, m) for p, s, m in old.get("inputs", [])}
    new_in = {p: (s, m) for p, s, m in new["inputs"]}
    added = [Path(p).name for p in new_in if p not in old_in]
    gone = [Path(p).name for p in old_in if p not in new_in]
    changed = [Path(p).name for p in new_in if p in old_in and old_in[p] != new_in[p]]
    if added:
        out.append(f"新增输入文件 {'、'.join(added[:5])}" + (f" 等 {len(added)} 个" if len(added) > 5 else ""))
    if gone:
        out.append(f"少了输入文件 {'、'.join(gone[:5])}" + (f" 等 {len(gone)} 个" if len(gone) > 5 else ""))
    if changed:
        out.append(f"输入文件 {'、'.join(changed[:5])} 的大小或修改时间变了")
    if not (added or gone or changed) and [p for p, *_ in old.get("inputs", [])] != [p for p, *_ in new["inputs"]]:
        out.append("输入文件的顺序变了")
    if old.get("region") != new["region"]:
        out.append(f"地区由 {old.get('region')} 改为 {new['region']}")
    if old.get("settings") != new["settings"]:
        out.append("设置文件的内容变了" if old.get("settings_path") == new["settings_path"]
                   else f"设置文件由 {old.get('settings_path') or '（无）'} 改为 {new['settings_path'] or '（无）'}")
    if old.get("policies") != new["policies"]:
        out.append("政策文件（processor/policies）变了")
    if old.get("partitions") != new["partitions"]:
        out.append(f"分区数由 {old.get('partitions')} 改为 {new['partitions']}")
    if old.get("code") != new["code"]:
        out.append(f"程序版本由 {old.get('code')} 改为 {new['code']}")
    return out


def load(work: Path) -> dict | None:
    path = work / MANIFEST
    if not path.is_file():
        return None
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None  # a manifest cut short: nothing of that run is trusted


def save(work: Path, manifest: dict) -> None:
    """Atomically (temp file, then rename): a manifest on disk is always whole."""
    tmp = work / f".{MANIFEST}.{os.getpid()}.tmp"
    try:
        tmp.write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
        os.replace(tmp, work / MANIFEST)
    except OSError as exc:
        raise FileError(f"无法写入工作目录 {work}（{exc.strerror or exc}）：请换一个可写的输出文件夹") from None


__all__ = ["fingerprint", "differences", "load", "save", "policy_version", "code_version"]
