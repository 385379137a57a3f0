import { toast } from './toast.svelte';

export async function copy(text: string, what = 'Copied') {
  try {
    await navigator.clipboard.writeText(text);
    toast(`${what} copied to the clipboard`);
  } catch {
    toast('The browser refused the clipboard: select the text and copy it by hand', 'error');
  }
}
