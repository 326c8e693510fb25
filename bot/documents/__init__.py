"""The official outputs built from the units' answers: each unit's report and the office's
summary as Word documents in the Nghị định 30/2020/NĐ-CP layout, and the TT 02/2023/TT-BNV
statistics tables as XLSX.

Pure builders: they take plain values (a spec, answers, unit names) and return bytes. Gathering
the data from the database is ``bot.services.outputs``; the wording is in
``bot/rendering/templates/docx_*.txt.j2``.
"""
