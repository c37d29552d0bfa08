import { mount } from 'svelte';
import './app.css';
import App from './App.svelte';
import DatabaseDamaged from './lib/components/DatabaseDamaged.svelte';
import { backendReady } from './lib/api';
import { startup } from './lib/stores/startup.svelte';

const target = document.getElementById('app');
if (!target) throw new Error('#app element missing');

// A damaged database starts the window on its own screen instead of the app
// (app/startup.go); after a repair the window reloads into the app.
async function start(el: HTMLElement) {
  if ((await backendReady()) && (await startup.load()).state === 'damaged') return mount(DatabaseDamaged, { target: el });
  return mount(App, { target: el });
}

export default start(target);
