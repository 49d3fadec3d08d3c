# hello-libs-devel: hello_libs_generate TEMPLATE GREETING writes a program
# that sources the hello-libs library; @LIBDIR@ and @GREETING@ are replaced.
HELLO_LIBS_DEVEL_API=1
hello_libs_generate() {
  sed -e 's|@LIBDIR@|/usr/share/hello-libs|g' -e "s|@GREETING@|$2|g" "$1"
}
