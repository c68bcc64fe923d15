import { useCallback, useEffect, useState } from "react";
import { api, fieldsOf, messageOf } from "../../lib/api";
import type { Settings } from "../../lib/types";

type Section = keyof Settings;

/**
 * Load one settings section, keep an edited copy, and save only that section (PUT is partial).
 * ``fields`` holds the API's messages with the "<section>." prefix taken off.
 */
export function useSection<K extends Section>(section: K) {
  const [saved, setSaved] = useState<Settings[K] | null>(null);
  const [draft, setDraft] = useState<Settings[K] | null>(null);
  const [fields, setFields] = useState<Record<string, string>>({});
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [saving, setSaving] = useState(false);

  const load = useCallback(async () => {
    try {
      const all = await api.settings();
      setSaved(all[section]);
      setDraft(all[section]);
    } catch (err) {
      setError(messageOf(err));
    }
  }, [section]);

  useEffect(() => {
    void load();
  }, [load]);

  const save = useCallback(
    async (body: Record<string, unknown>, message = "Settings saved.") => {
      setSaving(true);
      setFields({});
      setError(null);
      setNotice(null);
      try {
        const all = await api.updateSettings({ [section]: body });
        setSaved(all[section]);
        setDraft(all[section]);
        setNotice(message);
        return all[section];
      } catch (err) {
        setFields(fieldsOf(err, `${section}.`));
        setError(messageOf(err));
        return null;
      } finally {
        setSaving(false);
      }
    },
    [section],
  );

  const dirty = JSON.stringify(saved) !== JSON.stringify(draft);
  return { saved, draft, setDraft, fields, error, notice, setNotice, saving, save, dirty, load, setSaved };
}
