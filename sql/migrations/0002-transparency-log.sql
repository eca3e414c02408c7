-- 0002 — transparency log (placeholder until the log lands; replaced, never released as is).
SELECT 1;
