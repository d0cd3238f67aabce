"""Marks symbol-version requirements of an ELF shared library as weak, in place.

Why: TorchSharp 0.107.0 (the only version the package mirror has) ships a libLibTorchSharp.so
built with GCC 13, which requires libstdc++ version GLIBCXX_3.4.32; Debian 12 has GCC 12's
libstdc++ (up to GLIBCXX_3.4.30), so the library fails to load. The only GLIBCXX_3.4.32 symbol it
names is std::ios_base_library_init(), which GCC 13's <iostream> references with a bare `.globl`
so that linking records the requirement; no relocation uses it, so it is never looked up. A weak
version requirement that the system lacks is not fatal to the dynamic loader (glibc's
dl-version.c), so after this edit the library loads against libstdc++ 12 and the rest of it is
unchanged. Running it again, or on a library that lacks the versions, changes nothing.

usage: weaken_version_requirement.py LIBRARY VERSION...
"""
import struct
import sys

SHT_GNU_VERNEED = 0x6FFFFFFE
VER_FLG_WEAK = 0x2


def sections(elf):
    shoff, = struct.unpack_from("<Q", elf, 0x28)
    shentsize, shnum = struct.unpack_from("<HH", elf, 0x3A)
    for i in range(shnum):
        # sh_name, sh_type, sh_flags, sh_addr, sh_offset, sh_size, sh_link, sh_info
        yield struct.unpack_from("<IIQQQQII", elf, shoff + i * shentsize)


def c_string(elf, offset):
    return elf[offset:elf.index(b"\0", offset)].decode()


def weaken(elf, versions):
    """Sets VER_FLG_WEAK on every Vernaux entry named in versions; returns the names changed."""
    all_sections = list(sections(elf))
    changed = []
    for _, sh_type, _, _, offset, _, link, count in all_sections:
        if sh_type != SHT_GNU_VERNEED:
            continue
        strtab = all_sections[link][4]
        need = offset
        for _ in range(count):  # Elf64_Verneed: version, cnt, file, aux, next
            _, aux_count, _, aux, next_need = struct.unpack_from("<HHIII", elf, need)
            entry = need + aux
            for _ in range(aux_count):  # Elf64_Vernaux: hash, flags, other, name, next
                _, flags, _, name, next_aux = struct.unpack_from("<IHHII", elf, entry)
                if c_string(elf, strtab + name) in versions and not flags & VER_FLG_WEAK:
                    struct.pack_into("<H", elf, entry + 4, flags | VER_FLG_WEAK)
                    changed.append(c_string(elf, strtab + name))
                entry += next_aux
            need += next_need
    return changed


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__.strip().splitlines()[-1])
    path, versions = sys.argv[1], set(sys.argv[2:])
    with open(path, "rb") as f:
        elf = bytearray(f.read())
    if elf[:4] != b"\x7fELF" or elf[4] != 2 or elf[5] != 1:
        sys.exit(f"{path}: not a 64-bit little-endian ELF file")
    changed = weaken(elf, versions)
    if changed:
        with open(path, "r+b") as f:
            f.write(elf)
        print(f"{path}: weak version requirement for {', '.join(changed)}")


if __name__ == "__main__":
    main()
