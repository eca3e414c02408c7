-- 0003 — chain anchors (placeholder until the anchor worker lands; replaced, never released as is).
SELECT 1;
