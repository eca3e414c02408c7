# vf_snp_embed.cmake — embed verifier/snp/snp_tcb_table.json into tc_verifier as a C string at build time
# (included from verifier/CMakeLists.txt). The generated file defines `const char vf_snp_tcb_table_data[]`.
set(VF_SNP_TABLE_JSON ${CMAKE_CURRENT_LIST_DIR}/snp_tcb_table.json)
set(VF_SNP_TABLE_C ${CMAKE_CURRENT_BINARY_DIR}/vf_snp_tcb_table_gen.c)
add_custom_command(
  OUTPUT ${VF_SNP_TABLE_C}
  COMMAND ${CMAKE_COMMAND} -DIN=${VF_SNP_TABLE_JSON} -DOUT=${VF_SNP_TABLE_C}
          -P ${CMAKE_CURRENT_LIST_DIR}/vf_snp_embed_gen.cmake
  DEPENDS ${VF_SNP_TABLE_JSON} ${CMAKE_CURRENT_LIST_DIR}/vf_snp_embed_gen.cmake
  COMMENT "Embedding the SEV-SNP TCB status table"
  VERBATIM)
target_sources(tc_verifier PRIVATE ${VF_SNP_TABLE_C})
