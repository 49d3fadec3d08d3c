# hello-libs: greet NAME GREETING prints "GREETING, NAME!".
HELLO_LIBS_API=1
greet() {
  printf '%s, %s!\n' "${2:-Hello}" "${1:-world}"
}
