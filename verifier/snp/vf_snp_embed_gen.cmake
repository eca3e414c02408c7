# vf_snp_embed_gen.cmake — cmake -DIN=table.json -DOUT=file.c -P vf_snp_embed_gen.cmake
# Writes IN as a NUL-terminated byte array (no escaping questions, any content).
file(READ "${IN}" hex HEX)
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
string(REGEX REPLACE "(0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,)" "\\1\n\t" bytes "${bytes}")
file(WRITE "${OUT}.tmp" "/* Generated from verifier/snp/snp_tcb_table.json by vf_snp_embed_gen.cmake; do not edit. */\n"
  "extern const char vf_snp_tcb_table_data[];\n"
  "const char vf_snp_tcb_table_data[] = {\n\t${bytes}0x00\n};\n")
file(RENAME "${OUT}.tmp" "${OUT}")
